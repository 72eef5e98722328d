/**
 * Versioned migrations, run on start under a transaction-scoped advisory lock so concurrent
 * starters apply each version exactly once. Append new versions; never edit an applied one.
 */
import type pg from 'pg';

export function migrations(s: string): ReadonlyArray<{ version: number; name: string; sql: string }> {
  return [
    {
      version: 1,
      name: 'events, snapshots, checkpoints',
      sql: `
        CREATE TABLE ${s}.events (
          global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
          stream_id       text        NOT NULL,
          stream_position bigint      NOT NULL,
          event_id        uuid        NOT NULL,
          type            text        NOT NULL,
          schema_version  integer     NOT NULL,
          data            json        NOT NULL,
          metadata        json        NOT NULL,
          occurred_at     timestamptz NOT NULL,
          -- Invariant 1: expectedVersion is enforced by this constraint, not by isolation level alone.
          CONSTRAINT events_stream_version UNIQUE (stream_id, stream_position),
          CONSTRAINT events_event_id UNIQUE (event_id)
        );
        -- Invariant 2: subscribers read in (transaction_id, global_position) order.
        CREATE INDEX events_transaction_position ON ${s}.events (transaction_id, global_position);
        CREATE TABLE ${s}.snapshots (
          stream_id      text PRIMARY KEY,
          stream_version bigint      NOT NULL,
          state_version  integer     NOT NULL,
          state          json        NOT NULL,
          created_at     timestamptz NOT NULL
        );
        CREATE TABLE ${s}.checkpoints (
          name       text PRIMARY KEY,
          position   numeric     NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );`,
    },
  ];
}

export async function migrate(client: pg.ClientBase, quotedSchema: string, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventfold.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quotedSchema}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number }>(`SELECT coalesce(max(version), 0)::int AS v FROM ${quotedSchema}.migrations`);
    const applied = rows[0]?.v ?? 0;
    for (const m of migrations(quotedSchema)) {
      if (m.version <= applied) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${quotedSchema}.migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
