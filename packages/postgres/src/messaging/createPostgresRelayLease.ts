/**
 * The relay lease on PostgreSQL: a lease row taken with one INSERT … ON CONFLICT DO UPDATE … WHERE
 * (free, expired or already ours). A row, not an advisory lock, because advisory locks belong to a
 * session and a pooled relay does not keep one connection; the checkpoint's compare-and-set fences
 * a holder that wakes up after its lease expired. Expiry uses the injected clock, so relay hosts
 * need clocks in sync to well within the TTL (NTP gives milliseconds; the default TTL is 15 s).
 */
import { type Clock, InvalidInputError, type RelayLease, systemClock } from '@eventfold/core';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { quoteSchema } from '../internal/schemaName.js';
import { translateError } from '../internal/translateError.js';
import { ensureMessagingTables } from './messagingTables.js';

export interface PostgresRelayLeaseOptions {
  /** The relay's store (its pool and schema hold the lease table). */
  store: Pick<PostgresEventStore, 'pool' | 'schema'>;
  clock?: Clock;
}

export async function createPostgresRelayLease(options: PostgresRelayLeaseOptions): Promise<RelayLease> {
  const clock = options.clock ?? systemClock;
  const { pool } = options.store;
  const s = quoteSchema(options.store.schema);
  await ensureMessagingTables(pool, s);
  const acquire = `INSERT INTO ${s}.leases AS l (name, owner, expires_at) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
    WHERE l.owner = EXCLUDED.owner OR l.expires_at <= $4`;
  const release = `DELETE FROM ${s}.leases WHERE name = $1 AND owner = $2`;
  return {
    async tryAcquire(name, owner, ttlMs) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidInputError('ttlMs', `must be a positive number of ms (got ${ttlMs}).`);
      const now = clock.now().getTime();
      try {
        const result = await pool.query(acquire, [name, owner, now + Math.ceil(ttlMs), now]);
        return result.rowCount === 1;
      } catch (error) {
        throw translateError(error); // connection loss becomes retryable: the relay waits and tries again
      }
    },
    async release(name, owner) {
      await pool.query(release, [name, owner]).catch((error: unknown) => {
        throw translateError(error);
      });
    },
  };
}
