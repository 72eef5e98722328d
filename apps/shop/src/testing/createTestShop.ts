/** A whole shop in this process for tests: memory or a temporary SQLite file, the API ready for `app.inject`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Env, loadConfig } from '../config/loadConfig.js';
import { createShop, type Shop } from '../createShop.js';
import { createApi } from '../http/createApi.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestShop {
  shop: Shop;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function createTestShop(options: { store?: 'memory' | 'sqlite'; env?: Env } = {}): Promise<TestShop> {
  const dir = options.store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'eventfold-shop-')) : undefined;
  const config = loadConfig({
    EVENTFOLD_STORE: dir ? `sqlite:${join(dir, 'shop.db')}` : 'memory:',
    SHOP_ADMIN_TOKEN: ADMIN_TOKEN,
    ...options.env,
  });
  const shop = await createShop(config, { onError: process.env.SHOP_TEST_LOG ? (e) => console.error('[shop]', e) : () => undefined });
  const app = createApi(shop);
  await app.ready();
  return {
    shop,
    app,
    async close() {
      await app.close();
      await shop.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const ADDRESS = { name: 'Ada Lovelace', street: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' };

export function orderBody(overrides: Record<string, unknown> = {}) {
  return { customerId: 'ada', lines: [{ sku: 'TEA-001', quantity: 2 }], shippingAddress: ADDRESS, paymentToken: 'tok_visa', ...overrides };
}
