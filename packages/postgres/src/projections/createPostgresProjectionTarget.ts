/**
 * The PostgreSQL projection target: read-model writes and the checkpoint commit in one transaction
 * (the checkpoint row is locked FOR UPDATE first, so two runners of one projection serialise and
 * the loser gets a CheckpointConflictError). Handlers get the transaction's pg client. The batches are
 * declared non-appending ({ appends: false }), so readers of the log never wait for a projection's batch.
 */
import { CheckpointConflictError, type ProjectionTarget } from '@eventfold/core';
import type pg from 'pg';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { decodePosition } from '../internal/position.js';
import { quoteSchema } from '../internal/schemaName.js';

export function createPostgresProjectionTarget(store: PostgresEventStore): ProjectionTarget<pg.PoolClient> {
  const s = quoteSchema(store.schema);
  return {
    loadCheckpoint: (name) => store.checkpoints.load(name),
    async applyBatch(name, expected, next, apply) {
      await store.transaction(
        async (tx) => {
          const current = (await tx.loadCheckpoint(name, { forUpdate: true })) ?? null;
          if (current !== expected) throw new CheckpointConflictError(name, expected, current);
          await apply(tx.client);
          await tx.storeCheckpoint(name, next, { expected });
        },
        { appends: false },
      );
    },
    async reset(name, reset) {
      await store.transaction(
        async (tx) => {
          await reset(tx.client);
          await tx.client.query(`DELETE FROM ${s}.checkpoints WHERE name = $1`, [name]);
        },
        { appends: false },
      );
    },
    async init(init) {
      await store.transaction(async (tx) => {
        // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog; serialise set-up.
        await tx.client.query("SELECT pg_advisory_xact_lock(hashtext('eventfold.projection.init'))");
        await init(tx.client);
      });
    },
    async countEventsAfter(position) {
      // Same visibility rule as readAll: only transactions below the oldest running one.
      const { transactionId, position: after } = decodePosition(position);
      const { rows } = await store.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.events
          WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint) AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
        [transactionId, after],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
