/**
 * The inbox on PostgreSQL: the processed message id is inserted in the same transaction as the
 * consumer's effects. A concurrent duplicate blocks on the primary key until the first commits,
 * then finds the row and skips; if the first rolls back, the duplicate does the work.
 */
import { type Clock, InvalidInputError, type MessageHandler, systemClock } from '@eventfold/core';
import type { PostgresEventStore, PostgresTransaction } from '../createPostgresEventStore.js';
import { quoteSchema } from '../internal/schemaName.js';
import { translateError } from '../internal/translateError.js';
import { ensureMessagingTables } from './messagingTables.js';

export interface PostgresInboxOptions {
  /** The store whose database holds the consumer's effects; its `transaction` runs inbox row and effects. */
  store: Pick<PostgresEventStore, 'pool' | 'schema' | 'transaction'>;
  /** Names the consumer: ids are deduplicated per consumer. */
  name: string;
  clock?: Clock;
}

export type PostgresInboxResult<T> = { processed: true; result: T } | { processed: false };

export interface PostgresInbox {
  /** Runs `effects` and records `messageId` in one transaction; an id already recorded skips `effects`. */
  process<T>(messageId: string, effects: (tx: PostgresTransaction) => Promise<T>): Promise<PostgresInboxResult<T>>;
  /** A transport handler that runs `effects` through the inbox. */
  handler(effects: (message: Parameters<MessageHandler>[0], tx: PostgresTransaction) => Promise<void>): MessageHandler;
  has(messageId: string): Promise<boolean>;
  /** Forgets ids processed before `before`. Resolves with the rows removed. */
  prune(before: Date): Promise<number>;
}

/**
 * @example
 * const inbox = await createPostgresInbox({ store, name: 'billing' });
 * await transport.subscribe(bindings.ordersIn, inbox.handler(async (message, tx) => {
 *   await tx.client.query('UPDATE totals SET n = n + 1');
 * }));
 */
export async function createPostgresInbox(options: PostgresInboxOptions): Promise<PostgresInbox> {
  if (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 200) {
    throw new InvalidInputError('name', 'must name the consumer (1–200 characters).');
  }
  const { store, name } = options;
  const clock = options.clock ?? systemClock;
  const s = quoteSchema(store.schema);
  await ensureMessagingTables(store.pool, s);
  const sql = {
    record: `INSERT INTO ${s}.inbox (consumer, message_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    has: `SELECT 1 FROM ${s}.inbox WHERE consumer = $1 AND message_id = $2`,
    prune: `DELETE FROM ${s}.inbox WHERE consumer = $1 AND processed_at < $2`,
  };
  const inbox: PostgresInbox = {
    async process(messageId, effects) {
      if (typeof messageId !== 'string' || messageId.length === 0) throw new InvalidInputError('messageId', 'must be a non-empty string.');
      return store.transaction(async (tx) => {
        const inserted = await tx.client.query(sql.record, [name, messageId, clock.now()]);
        if (inserted.rowCount === 0) return { processed: false } as const;
        return { processed: true, result: await effects(tx) } as const;
      });
    },
    handler(effects) {
      return async (message) => {
        await inbox.process(message.id, (tx) => effects(message, tx));
      };
    },
    async has(messageId) {
      try {
        return ((await store.pool.query(sql.has, [name, messageId])).rowCount ?? 0) > 0;
      } catch (error) {
        throw translateError(error);
      }
    },
    async prune(before) {
      try {
        return (await store.pool.query(sql.prune, [name, before])).rowCount ?? 0;
      } catch (error) {
        throw translateError(error);
      }
    },
  };
  return inbox;
}
