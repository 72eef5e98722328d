/**
 * Versioned schema migrations, run on open inside one IMMEDIATE transaction so concurrent openers
 * of the same file apply each version once. Append new versions; never edit an applied one.
 */
import type { Database } from 'better-sqlite3';

export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'events, snapshots, checkpoints',
    sql: `
      CREATE TABLE eventfold_events (
        global_position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id       TEXT    NOT NULL,
        stream_position INTEGER NOT NULL,
        event_id        TEXT    NOT NULL,
        type            TEXT    NOT NULL,
        schema_version  INTEGER NOT NULL,
        data            TEXT    NOT NULL,
        metadata        TEXT    NOT NULL,
        occurred_at     INTEGER NOT NULL,
        CONSTRAINT eventfold_events_stream_version UNIQUE (stream_id, stream_position),
        CONSTRAINT eventfold_events_event_id UNIQUE (event_id)
      );
      CREATE TABLE eventfold_snapshots (
        stream_id      TEXT PRIMARY KEY,
        stream_version INTEGER NOT NULL,
        state_version  INTEGER NOT NULL,
        state          TEXT    NOT NULL,
        created_at     INTEGER NOT NULL
      );
      CREATE TABLE eventfold_checkpoints (
        name       TEXT PRIMARY KEY,
        position   TEXT    NOT NULL,
        updated_at INTEGER NOT NULL
      );`,
  },
];

export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS eventfold_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT coalesce(max(version), 0) AS v FROM eventfold_migrations').get() as { v: number };
    for (const migration of migrations) {
      if (migration.version <= row.v) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO eventfold_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
    }
  });
  apply.immediate();
}
