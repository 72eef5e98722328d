/**
 * Tables of the messaging extras in the store's schema, created on first use. Concurrent creators
 * serialise on a transaction-scoped advisory lock, because CREATE TABLE IF NOT EXISTS alone can
 * still collide on the catalog when two processes start at once.
 */
import type pg from 'pg';

export async function ensureMessagingTables(pool: pg.Pool, quotedSchema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`eventfold.messaging.${quotedSchema}`]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${quotedSchema}.inbox (
        consumer     text        NOT NULL,
        message_id   text        NOT NULL,
        processed_at timestamptz NOT NULL,
        PRIMARY KEY (consumer, message_id)
      );
      CREATE INDEX IF NOT EXISTS inbox_processed_at ON ${quotedSchema}.inbox (consumer, processed_at);
      CREATE TABLE IF NOT EXISTS ${quotedSchema}.leases (
        name       text   PRIMARY KEY,
        owner      text   NOT NULL,
        expires_at bigint NOT NULL
      );`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
