/**
 * Inline projections: the read model is updated in the same SQLite transaction as the append, so
 * it is never behind the events (no waiting for read-your-writes). Every writer must append
 * through the returned store; a rebuild goes through a runner over the same projection.
 */
import { InvalidInputError, noUpcasters, type Projection, type UpcasterRegistry } from '@eventfold/core';
import type { Database } from 'better-sqlite3';
import type { SqliteEventStore } from '../createSqliteEventStore.js';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from '../internal/rows.js';

export interface InlineProjectionOptions {
  upcasters?: UpcasterRegistry;
}

/**
 * @example
 * const store = withSqliteInlineProjections(createSqliteEventStore({ path }), [balances]);
 * await store.appendToStream('account-1', [credited]); // balances row updated in the same commit
 */
export function withSqliteInlineProjections(
  store: SqliteEventStore,
  projections: readonly Projection<Database>[],
  options: InlineProjectionOptions = {},
): SqliteEventStore {
  const upcasters = options.upcasters ?? noUpcasters;
  const appended = store.db.prepare(`SELECT ${EVENT_COLUMNS} FROM eventfold_events WHERE stream_id = ? AND stream_position > ? ORDER BY stream_position`);
  store.transaction((tx) => {
    for (const projection of projections) projection.init?.(tx.db);
  });
  const wrapped: Pick<SqliteEventStore, 'appendToStream'> = {
    async appendToStream(streamId, events, appendOptions) {
      return store.transaction((tx) => {
        const result = tx.appendToStream(streamId, events, appendOptions);
        if (result.alreadyStored) return result;
        const recorded = (appended.all(streamId, result.nextExpectedVersion - events.length) as EventRow[]).map((row) =>
          upcasters.upcast(toRecordedEvent(row)),
        );
        for (const projection of projections) {
          const handled = recorded.filter((e) => projection.eventTypes.includes(e.type));
          const outcome = handled.length > 0 ? projection.apply(handled, tx.db) : undefined;
          if (outcome)
            throw new InvalidInputError(
              `projection ${projection.name}`,
              "returned a promise; SQLite inline projections run inside the append's synchronous transaction, so make its handlers synchronous.",
            );
        }
        return result;
      });
    },
  };
  return Object.setPrototypeOf(wrapped, store) as SqliteEventStore;
}
