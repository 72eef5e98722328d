/**
 * The inbox on SQLite: a consumer records each processed message id in the same IMMEDIATE
 * transaction as its effects, so a redelivered message finds its id and has no second effect, and a
 * crash before commit leaves neither the effect nor the id (the redelivery then does the work).
 */
import { type Clock, InvalidInputError, type MessageHandler, systemClock } from '@eventfold/core';
import type { SqliteEventStore, SqliteTransaction } from '../createSqliteEventStore.js';
import { ensureMessagingTables } from './messagingTables.js';

export interface SqliteInboxOptions {
  /**
   * The store whose database holds the consumer's effects (read model, appended events). For a
   * separate read-model file, open it with `createSqliteEventStore({ path })` too.
   */
  store: Pick<SqliteEventStore, 'db' | 'transaction'>;
  /** Names the consumer: ids are deduplicated per consumer, so two consumers of one message both run. */
  name: string;
  clock?: Clock;
}

export type InboxResult<T> = { processed: true; result: T } | { processed: false };

export interface SqliteInbox {
  /**
   * Runs `effects` and records `messageId` in one transaction. When the id is already recorded,
   * `effects` is not called and `{ processed: false }` is returned. `effects` is synchronous
   * (better-sqlite3); a throw rolls back the effects and the inbox row together.
   */
  process<T>(messageId: string, effects: (tx: SqliteTransaction) => T): InboxResult<T>;
  /** A transport handler that runs `effects` through the inbox. */
  handler(effects: (message: Parameters<MessageHandler>[0], tx: SqliteTransaction) => void): MessageHandler;
  has(messageId: string): boolean;
  /** Forgets ids processed before `before` (redeliveries older than that are no longer deduplicated). Returns rows removed. */
  prune(before: Date): number;
}

/**
 * @example
 * const inbox = createSqliteInbox({ store, name: 'billing' });
 * await transport.subscribe(bindings.ordersIn, inbox.handler((message, tx) => {
 *   tx.db.prepare('UPDATE totals SET n = n + 1').run();
 * }));
 */
export function createSqliteInbox(options: SqliteInboxOptions): SqliteInbox {
  if (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 200) {
    throw new InvalidInputError('name', 'must name the consumer (1–200 characters).');
  }
  const { store, name } = options;
  const clock = options.clock ?? systemClock;
  ensureMessagingTables(store.db);
  const q = {
    record: store.db.prepare('INSERT INTO eventfold_inbox (consumer, message_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    has: store.db.prepare('SELECT 1 FROM eventfold_inbox WHERE consumer = ? AND message_id = ?').pluck(),
    prune: store.db.prepare('DELETE FROM eventfold_inbox WHERE consumer = ? AND processed_at < ?'),
  };
  const checkId = (messageId: string) => {
    if (typeof messageId !== 'string' || messageId.length === 0) throw new InvalidInputError('messageId', 'must be a non-empty string.');
  };

  const inbox: SqliteInbox = {
    process(messageId, effects) {
      checkId(messageId);
      return store.transaction((tx) => {
        if (q.record.run(name, messageId, clock.now().getTime()).changes === 0) return { processed: false };
        return { processed: true, result: effects(tx) };
      });
    },
    handler(effects) {
      return (message) => {
        inbox.process(message.id, (tx) => effects(message, tx));
      };
    },
    has(messageId) {
      return q.has.get(name, messageId) !== undefined;
    },
    prune(before) {
      return q.prune.run(name, before.getTime()).changes;
    },
  };
  return inbox;
}
