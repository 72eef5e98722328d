/**
 * The relay lease on SQLite: one row per relay name, taken with a single UPSERT that succeeds only
 * when the row is free, expired or already ours. SQLite serialises writers, so two processes on
 * one file can never both see "acquired".
 */
import { type Clock, InvalidInputError, type RelayLease, systemClock } from '@eventfold/core';
import type { Database } from 'better-sqlite3';
import { ensureMessagingTables } from './messagingTables.js';

export interface SqliteRelayLeaseOptions {
  /** The database the relay's store uses (e.g. `store.db`). */
  database: Database;
  clock?: Clock;
}

export function createSqliteRelayLease(options: SqliteRelayLeaseOptions): RelayLease {
  const clock = options.clock ?? systemClock;
  ensureMessagingTables(options.database);
  // ON CONFLICT … WHERE: the update happens only when the lease is ours or has expired; otherwise 0 changes.
  const acquire = options.database.prepare(
    `INSERT INTO eventfold_leases (name, owner, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
     WHERE eventfold_leases.owner = excluded.owner OR eventfold_leases.expires_at <= ?`,
  );
  const release = options.database.prepare('DELETE FROM eventfold_leases WHERE name = ? AND owner = ?');
  return {
    async tryAcquire(name, owner, ttlMs) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidInputError('ttlMs', `must be a positive number of ms (got ${ttlMs}).`);
      const now = clock.now().getTime();
      return acquire.run(name, owner, now + Math.ceil(ttlMs), now).changes === 1;
    },
    async release(name, owner) {
      release.run(name, owner);
    },
  };
}
