/**
 * Full-text search on PostgreSQL (the read side used when the store is PostgreSQL; embedded mode uses
 * SQLite FTS5). A projection keeps one `tsvector` document per order and per product, each under a
 * GIN index, in the store's own schema: its rows and its checkpoint commit in one PostgreSQL
 * transaction (`createPostgresProjectionRunner`), so a crash never applies an event twice or skips one.
 * Queries go through `websearch_to_tsquery` with the text as a bound parameter: user input is never
 * SQL, and any text is a valid query (unbalanced quotes, operators and punctuation are just words).
 *
 *   shop_search_products(sku PK, name, description, document tsvector)  GIN(document)
 *   shop_search_orders(order_id PK, customer_id, placed_at, document tsvector)  GIN(document)
 *
 * An order's document holds its id, customer, shipping name and place, SKUs and the products' names
 * and descriptions (looked up from the products table: the catalogue is listed before it is ordered).
 */
import { type Clock, defineProjection, type EventStore, InvalidInputError, type Projection, type ProjectionRunner, type RecordedEvent } from '@eventfold/core';
import type { PostgresEventStore } from '@eventfold/postgres';
import { domainOnly } from './domainOnly.js';

export const SEARCH_PROJECTION = 'shop-search';

/** What the projection and the queries need of a pg client or pool. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The text search configuration: English stemming ("teapots" finds "teapot"), the same on both sides. */
const CONFIG = 'english';

function tables(schema: string) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new InvalidInputError('schema', `"${schema}" must be a lower-case SQL identifier, e.g. shop.`);
  return { products: `"${schema}".shop_search_products`, orders: `"${schema}".shop_search_orders` };
}

interface PlacedData {
  orderId: string;
  customerId: string;
  lines: { sku: string }[];
  shippingAddress: { name: string; city: string; country: string };
}

export function searchProjection(schema: string): Projection<Queryable> {
  const t = tables(schema);
  // The orders of a batch go in one statement (a row each from the arrays), not one statement per order.
  const insertOrders = `INSERT INTO ${t.orders} (order_id, customer_id, placed_at, document)
    SELECT i.order_id, i.customer_id, i.placed_at, setweight(to_tsvector('${CONFIG}', i.own), 'A')
           || setweight(to_tsvector('${CONFIG}', coalesce((
                SELECT string_agg(p.name || ' ' || p.description, ' ') FROM ${t.products} p
                 WHERE p.sku IN (SELECT jsonb_array_elements_text(i.skus::jsonb))), '')), 'B')
      FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS i(order_id, customer_id, placed_at, own, skus)
    ON CONFLICT (order_id) DO NOTHING`;
  const base = defineProjection<Queryable>({
    name: SEARCH_PROJECTION,
    async init(db) {
      await db.query(`
        CREATE TABLE IF NOT EXISTS ${t.products} (
          sku text PRIMARY KEY, name text NOT NULL, description text NOT NULL, document tsvector NOT NULL);
        CREATE INDEX IF NOT EXISTS shop_search_products_document ON ${t.products} USING gin (document);
        CREATE TABLE IF NOT EXISTS ${t.orders} (
          order_id text PRIMARY KEY, customer_id text NOT NULL, placed_at timestamptz NOT NULL, document tsvector NOT NULL);
        CREATE INDEX IF NOT EXISTS shop_search_orders_document ON ${t.orders} USING gin (document);`);
    },
    async reset(db) {
      await db.query(`TRUNCATE ${t.products}, ${t.orders}`);
    },
    handlers: domainOnly<Queryable>({
      async StockListed(event, db) {
        const d = event.data as { sku: string; name: string; description: string };
        await db.query(
          `INSERT INTO ${t.products} (sku, name, description, document)
           VALUES ($1, $2, $3, setweight(to_tsvector('${CONFIG}', $1 || ' ' || $2), 'A') || setweight(to_tsvector('${CONFIG}', $3), 'B'))
           ON CONFLICT (sku) DO NOTHING`,
          [d.sku, d.name, d.description],
        );
      },
      async OrderPlaced(event, db) {
        await insertPlaced([event], db);
      },
    }),
  });
  async function insertPlaced(events: readonly RecordedEvent[], db: Queryable): Promise<void> {
    const columns: [string[], string[], Date[], string[], string[]] = [[], [], [], [], []];
    for (const event of events) {
      const d = event.data as unknown as PlacedData;
      const skus = d.lines.map((l) => l.sku);
      columns[0].push(d.orderId);
      columns[1].push(d.customerId);
      columns[2].push(event.occurredAt);
      columns[3].push([d.orderId, d.customerId, d.shippingAddress.name, d.shippingAddress.city, d.shippingAddress.country, ...skus].join(' '));
      columns[4].push(JSON.stringify(skus));
    }
    await db.query(insertOrders, columns);
  }
  return {
    ...base,
    // Runs of orders share one statement; a product listed in between is inserted first, in log order.
    async apply(events, db) {
      let placed: RecordedEvent[] = [];
      for (const event of events) {
        if (event.streamId.startsWith('$')) continue;
        if (event.type === 'OrderPlaced') {
          placed.push(event);
          continue;
        }
        if (placed.length > 0) await insertPlaced(placed, db);
        placed = [];
        await base.apply([event], db);
      }
      if (placed.length > 0) await insertPlaced(placed, db);
    },
  };
}

export interface PostgresSearch {
  /** Ids of the orders matching `text`, best match first. */
  orders(text: string, limit: number): Promise<string[]>;
  /** SKUs of the products matching `text`, best match first. */
  products(text: string, limit: number): Promise<string[]>;
}

/**
 * @example
 * const search = createPostgresSearch(store.pool, store.schema);
 * const ids = await search.orders('london sencha', 20);
 */
export function createPostgresSearch(db: Queryable, schema: string): PostgresSearch {
  const t = tables(schema);
  const query = (table: string, key: string, tiebreak: string) =>
    `SELECT ${key} AS key FROM ${table}, websearch_to_tsquery('${CONFIG}', $1) q
      WHERE document @@ q ORDER BY ts_rank(document, q) DESC, ${tiebreak} LIMIT $2`;
  const sql = { orders: query(t.orders, 'order_id', 'placed_at DESC'), products: query(t.products, 'sku', 'sku') };
  // PostgreSQL text cannot hold NUL; everything else is passed as it is, as a parameter.
  const run = async (text: string, limit: number, statement: string) =>
    ((await db.query(statement, [text.replaceAll('\u0000', ' '), limit])).rows as { key: string }[]).map((r) => r.key);
  return {
    orders: (text, limit) => run(text, limit, sql.orders),
    products: (text, limit) => run(text, limit, sql.products),
  };
}

/** The search projection's runner on the store's PostgreSQL (loaded only when the store is PostgreSQL). */
export async function createPostgresSearchRunner(store: EventStore, options: { clock?: Clock; pollIntervalMs?: number } = {}): Promise<ProjectionRunner> {
  const { createPostgresProjectionRunner } = await import('@eventfold/postgres');
  const pg = store as PostgresEventStore;
  return createPostgresProjectionRunner(pg, searchProjection(pg.schema), {
    pollIntervalMs: options.pollIntervalMs ?? 10,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
