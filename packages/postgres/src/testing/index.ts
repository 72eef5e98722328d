/** @eventfold/postgres/testing — helpers for tests against a real PostgreSQL. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresEventStore, type PostgresEventStore, type PostgresEventStoreOptions } from '../createPostgresEventStore.js';

/** The database integration tests use; override with EVENTFOLD_TEST_POSTGRES_URL. */
export const testPostgresUrl = process.env.EVENTFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other test uses. */
export function randomSchemaName(prefix = 'ef_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string, connectionString = testPostgresUrl): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A store in a fresh random schema; `close()` also drops the schema. */
export async function createTestPostgresStore(
  options: Omit<PostgresEventStoreOptions, 'connectionString' | 'schema'> & { schema?: string } = {},
): Promise<PostgresEventStore> {
  const schema = options.schema ?? randomSchemaName();
  const store = await createPostgresEventStore({ maxConnections: 20, ...options, connectionString: testPostgresUrl, schema });
  const close = store.close.bind(store);
  return Object.assign(store, {
    async close() {
      await close();
      await dropSchema(schema);
    },
  });
}
