/**
 * The SQLite projection target: read-model writes and the checkpoint commit in one IMMEDIATE
 * transaction of the store's database (a savepoint of the store's next group commit), so a crash (even SIGKILL) between events and checkpoint is
 * impossible — the exactly-once guarantee. Handlers get the better-sqlite3 Database and must be
 * synchronous, because better-sqlite3 transactions are.
 */
import { CheckpointConflictError, InvalidInputError, type ProjectionTarget } from '@eventfold/core';
import type { Database } from 'better-sqlite3';
import type { SqliteEventStore } from '../createSqliteEventStore.js';

function assertSynchronous(result: unknown): void {
  if (result && typeof (result as Promise<void>).then === 'function') {
    throw new InvalidInputError(
      'projection handler',
      'returned a promise, but SQLite projections run inside a synchronous better-sqlite3 transaction; make the handler synchronous.',
    );
  }
}

export function createSqliteProjectionTarget(store: SqliteEventStore): ProjectionTarget<Database> {
  const count = store.db.prepare('SELECT count(*) FROM eventfold_events WHERE global_position > ?').pluck();
  return {
    loadCheckpoint: (name) => store.checkpoints.load(name),
    async applyBatch(name, expected, next, apply) {
      // In the next group commit: batches of several projections, appends and checkpoints share one commit.
      await store.write((tx) => {
        const current = tx.loadCheckpoint(name) ?? null;
        if (current !== expected) throw new CheckpointConflictError(name, expected, current);
        assertSynchronous(apply(tx.db));
        tx.storeCheckpoint(name, next);
      });
    },
    async reset(name, reset) {
      store.transaction((tx) => {
        assertSynchronous(reset(tx.db));
        tx.db.prepare('DELETE FROM eventfold_checkpoints WHERE name = ?').run(name);
      });
    },
    async init(init) {
      store.transaction((tx) => assertSynchronous(init(tx.db)));
    },
    async countEventsAfter(position) {
      return count.get(Number(position)) as number;
    },
  };
}
