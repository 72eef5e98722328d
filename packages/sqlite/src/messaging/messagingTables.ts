/**
 * Tables of the messaging extras, created on first use (idempotent). Kept apart from the store's
 * versioned migrations so a database without messaging never grows them.
 */
import type { Database } from 'better-sqlite3';

export function ensureMessagingTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS eventfold_inbox (
      consumer     TEXT    NOT NULL,
      message_id   TEXT    NOT NULL,
      processed_at INTEGER NOT NULL,
      PRIMARY KEY (consumer, message_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS eventfold_inbox_processed_at ON eventfold_inbox (consumer, processed_at);
    CREATE TABLE IF NOT EXISTS eventfold_leases (
      name       TEXT    PRIMARY KEY,
      owner      TEXT    NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
  `);
}
