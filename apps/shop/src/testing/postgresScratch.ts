/**
 * A PostgreSQL store on a schema of its own for one test, dropped afterwards: the shop's int tests run
 * on the real server (EVENTFOLD_TEST_POSTGRES_URL, default the local `test` database).
 */
import { randomBytes } from 'node:crypto';
import { createPostgresEventStore, type PostgresEventStore } from '@eventfold/postgres';

export const POSTGRES = process.env.EVENTFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * @example
 * const cleanups: (() => Promise<void>)[] = [];
 * afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });
 * const store = await scratchPostgresStore('shop_search', cleanups);
 */
export async function scratchPostgresStore(prefix: string, cleanups: (() => Promise<void>)[]): Promise<PostgresEventStore> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const store = await createPostgresEventStore({ connectionString: POSTGRES, schema });
  cleanups.push(async () => {
    await store.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await store.close();
  });
  return store;
}
