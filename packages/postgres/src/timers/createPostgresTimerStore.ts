/**
 * Durable timers on PostgreSQL, in the store's schema: a deadline written here survives a crash and
 * is returned by `due` until marked fired, so it fires at-least-once, also after a restart. Created
 * on first use under an advisory lock (concurrent CREATE TABLE IF NOT EXISTS can still collide).
 *
 *   <schema>.timers(id PK, owner, key, due_at ms, payload jsonb, fired_at ms | NULL)
 *   partial index (owner, due_at) WHERE fired_at IS NULL — `due` reads only pending rows.
 */
import { assertTimers, type Clock, type JsonValue, systemClock, type TimerStore } from '@eventfold/core';
import type pg from 'pg';
import { quoteSchema } from '../internal/schemaName.js';
import { translateError } from '../internal/translateError.js';

export interface PostgresTimerStoreOptions {
  /** The store whose database and schema keep the timers. */
  store: { readonly pool: pg.Pool; readonly schema: string };
  clock?: Clock;
}

async function ensureTimersTable(pool: pg.Pool, s: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventfold.timers.${s}`]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${s}.timers (
        id       text   PRIMARY KEY,
        owner    text   NOT NULL,
        key      text   NOT NULL,
        due_at   bigint NOT NULL,
        payload  jsonb  NOT NULL,
        fired_at bigint
      );
      CREATE INDEX IF NOT EXISTS timers_pending ON ${s}.timers (owner, due_at) WHERE fired_at IS NULL;`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw translateError(error);
  } finally {
    client.release();
  }
}

/**
 * @example
 * const store = await createPostgresEventStore({ connectionString, schema: 'shop' });
 * const runner = createSagaRunner({ store, saga, timers: await createPostgresTimerStore({ store }) });
 */
export async function createPostgresTimerStore(options: PostgresTimerStoreOptions): Promise<TimerStore> {
  const { pool } = options.store;
  const s = quoteSchema(options.store.schema);
  const clock = options.clock ?? systemClock;
  await ensureTimersTable(pool, s);
  const sql = {
    // One statement per batch: unnest keeps the parameters fixed whatever the batch size.
    insert: `INSERT INTO ${s}.timers (id, owner, key, due_at, payload)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[]) ON CONFLICT (id) DO NOTHING`,
    due: `SELECT id, owner, key, due_at::text AS due_at, payload FROM ${s}.timers
      WHERE owner = $1 AND fired_at IS NULL AND due_at <= $2 ORDER BY due_at, id LIMIT $3`,
    fire: `UPDATE ${s}.timers SET fired_at = $2 WHERE id = ANY($1::text[]) AND fired_at IS NULL`,
    pending: `SELECT count(*)::int AS n FROM ${s}.timers WHERE owner = $1 AND fired_at IS NULL`,
  };
  const run = async <T extends pg.QueryResultRow>(text: string, values: unknown[]) => {
    try {
      return await pool.query<T>(text, values);
    } catch (error) {
      throw translateError(error);
    }
  };
  return {
    async schedule(timers) {
      assertTimers(timers);
      if (timers.length === 0) return;
      await run(sql.insert, [
        timers.map((t) => t.id),
        timers.map((t) => t.owner),
        timers.map((t) => t.key),
        timers.map((t) => t.dueAt.getTime()),
        timers.map((t) => JSON.stringify(t.payload ?? null)),
      ]);
    },
    async due(owner, now, limit = 100) {
      const { rows } = await run<{ id: string; owner: string; key: string; due_at: string; payload: JsonValue }>(sql.due, [owner, now.getTime(), limit]);
      return rows.map((r) => ({ id: r.id, owner: r.owner, key: r.key, dueAt: new Date(Number(r.due_at)), payload: r.payload }));
    },
    async markFired(ids) {
      if (ids.length > 0) await run(sql.fire, [[...ids], clock.now().getTime()]);
    },
    async pending(owner) {
      return (await run<{ n: number }>(sql.pending, [owner])).rows[0]?.n ?? 0;
    },
  };
}
