/**
 * Inline projections on PostgreSQL: the read model is updated in the append's own transaction, so
 * it commits (or rolls back) with the events. Every writer must append through the returned store.
 */
import { noUpcasters, type Projection, type UpcasterRegistry } from '@eventfold/core';
import type pg from 'pg';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from '../internal/rows.js';
import { quoteSchema } from '../internal/schemaName.js';

export interface PostgresInlineProjectionOptions {
  upcasters?: UpcasterRegistry;
}

/**
 * @example
 * const store = withPostgresInlineProjections(await createPostgresEventStore({ connectionString }), [balances]);
 */
export async function withPostgresInlineProjections(
  store: PostgresEventStore,
  projections: readonly Projection<pg.PoolClient>[],
  options: PostgresInlineProjectionOptions = {},
): Promise<PostgresEventStore> {
  const upcasters = options.upcasters ?? noUpcasters;
  const s = quoteSchema(store.schema);
  await store.transaction(async (tx) => {
    await tx.client.query("SELECT pg_advisory_xact_lock(hashtext('eventfold.projection.init'))");
    for (const projection of projections) await projection.init?.(tx.client);
  });
  const wrapped: Pick<PostgresEventStore, 'appendToStream'> = {
    appendToStream(streamId, events, appendOptions) {
      return store.transaction(async (tx) => {
        const result = await tx.appendToStream(streamId, events, appendOptions);
        if (result.alreadyStored) return result;
        const { rows } = await tx.client.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM ${s}.events WHERE stream_id = $1 AND stream_position > $2 ORDER BY stream_position`,
          [streamId, result.nextExpectedVersion - events.length],
        );
        const recorded = rows.map((row) => upcasters.upcast(toRecordedEvent(row)));
        for (const projection of projections) {
          const handled = recorded.filter((e) => projection.eventTypes.includes(e.type));
          if (handled.length > 0) await projection.apply(handled, tx.client);
        }
        return result;
      });
    },
  };
  return Object.setPrototypeOf(wrapped, store) as PostgresEventStore;
}
