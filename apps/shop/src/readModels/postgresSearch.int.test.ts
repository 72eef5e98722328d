/**
 * Full-text search on the real PostgreSQL: the search projection (tsvector + GIN, checkpoint in the
 * same transaction) over products and orders, queried directly and through the HTTP API of a shop
 * whose store is PostgreSQL. Injection strings are just words. Each test has its own schema.
 */
import type { PostgresEventStore } from '@eventfold/postgres';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../config/loadConfig.js';
import { createShop } from '../createShop.js';
import { createApi } from '../http/createApi.js';
import { SEED_CATALOGUE } from '../inventory/catalogue.js';
import { createShopServices } from '../shopServices.js';
import { ADDRESS } from '../testing/createTestShop.js';
import { POSTGRES, scratchPostgresStore } from '../testing/postgresScratch.js';
import { createPostgresSearch, createPostgresSearchRunner, SEARCH_PROJECTION } from './postgresSearch.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const freshStore = (): Promise<PostgresEventStore> => scratchPostgresStore('shop_search', cleanups);

const INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE shop_search_orders; --',
  "'); DELETE FROM shop_search_products; --",
  'tea & | ! <-> :* (',
  '\u0000 nul',
  '-"-',
  'a'.repeat(3000),
];

describe('PostgreSQL full-text search', () => {
  test('finds orders by customer, SKU and product-name words, products by name and description; injection strings are harmless', async () => {
    const store = await freshStore();
    const services = createShopServices(store);
    for (const item of SEED_CATALOGUE) await services.inventory.list(item);
    const place = (orderId: string, customerId: string, skus: string[], city: string) =>
      services.orders.place(
        { orderId, customerId, lines: skus.map((sku) => ({ sku, quantity: 1 })), shippingAddress: { ...ADDRESS, city }, paymentToken: 'tok_visa' },
        new Date(),
      );
    await place('o-1', 'grace', ['TEA-001'], 'London');
    await place('o-2', 'ada', ['POT-001', 'MUG-001'], 'Paris');
    await place('o-3', 'linus', ['LTD-001', 'TEA-001'], 'Helsinki');

    const runner = await createPostgresSearchRunner(store);
    await runner.catchUp();
    // The checkpoint moved with the rows, in the store's own database.
    expect(await store.checkpoints.load(SEARCH_PROJECTION)).toBe(await store.headPosition());

    const search = createPostgresSearch(store.pool, store.schema);
    expect(await search.orders('grace', 20)).toEqual(['o-1']);
    expect((await search.orders('TEA-001', 20)).sort()).toEqual(['o-1', 'o-3']);
    expect(await search.orders('darjeeling', 20)).toEqual(['o-3']); // a product name word, not in the order itself
    expect(await search.orders('teapots', 20)).toEqual(['o-2']); // stemmed: teapots → teapot
    expect(await search.orders('sencha helsinki', 20)).toEqual(['o-3']); // every word must match
    expect(await search.orders('nothing-like-this', 20)).toEqual([]);
    expect(await search.products('teapot', 50)).toEqual(['POT-001']);
    expect(await search.products('gooseneck temperature', 50)).toEqual(['KET-001']);
    expect(await search.products('tetsubin', 50)).toEqual(['POT-001']); // from the description
    expect((await search.products('tea', 50)).slice(0, 2).sort()).toEqual(['TEA-001', 'TEA-002']); // name matches rank first

    const counts = async () =>
      (
        await store.pool.query(
          `SELECT (SELECT count(*) FROM ${store.schema}.shop_search_orders) AS orders, (SELECT count(*) FROM ${store.schema}.shop_search_products) AS products`,
        )
      ).rows[0];
    const before = await counts();
    for (const text of INJECTIONS) {
      expect(Array.isArray(await search.orders(text, 20))).toBe(true);
      expect(Array.isArray(await search.products(text, 50))).toBe(true);
    }
    expect(await counts()).toEqual(before);
    expect(before).toEqual({ orders: '3', products: String(SEED_CATALOGUE.length) });

    // Caught up: running again changes nothing.
    await runner.catchUp();
    expect(await counts()).toEqual(before);
  });

  test('GET /orders/search and /products?q= use it when the store is PostgreSQL', async () => {
    const store = await freshStore();
    const config = loadConfig({
      EVENTFOLD_STORE: `${POSTGRES}?schema=${store.schema}`,
      SHOP_ADMIN_TOKEN: 'search-test-token-0123456789',
      SHOP_NAMESPACE: `search-${store.schema.slice(-8)}`,
    });
    const shop = await createShop(config, { onError: () => undefined });
    const app = createApi(shop);
    await app.ready();
    cleanups.push(async () => {
      await app.close();
      await shop.stop();
    });
    expect(shop.projections.map((p) => p.name)).toContain(SEARCH_PROJECTION);
    const placed = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customerId: 'hopper', lines: [{ sku: 'KET-001', quantity: 1 }], shippingAddress: { ...ADDRESS, city: 'Arlington' }, paymentToken: 'tok_visa' },
    });
    expect(placed.statusCode).toBe(202);
    const { orderId, position } = JSON.parse(placed.body) as { orderId: string; position: string };
    await app.inject({ method: 'GET', url: `/orders/${orderId}?minPosition=${position}` });
    for (const runner of shop.projections) await runner.waitForPosition(BigInt(position), { timeoutMs: 10_000 });

    const found = JSON.parse((await app.inject({ method: 'GET', url: '/orders/search?q=hopper%20kettle' })).body) as { orders: { orderId: string }[] };
    expect(found.orders.map((o) => o.orderId)).toEqual([orderId]);
    const products = JSON.parse((await app.inject({ method: 'GET', url: '/products?q=kettles' })).body) as { products: { sku: string }[] };
    expect(products.products.map((p) => p.sku)).toEqual(['KET-001']);
    for (const text of INJECTIONS) {
      const res = await app.inject({ method: 'GET', url: `/orders/search?q=${encodeURIComponent(text.slice(0, 200))}` });
      expect([200, 400]).toContain(res.statusCode);
    }
    expect((await app.inject({ method: 'GET', url: '/orders/search?q=hopper' })).statusCode).toBe(200);
  });
});
