/**
 * Embedded mode survives a crash: the one-process shop (SQLite + in-process transport) is SIGKILLed
 * while it is working through a burst of orders and started again on the same file. Every order ends
 * terminal and the invariants hold — the events are in the store, and the relay resumes from its
 * checkpoint, which moved only past messages every consumer had handled (redeliveries are no-ops).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '@eventfold/sqlite';
import { afterEach, expect, test } from 'vitest';
import { type ServiceProcess, spawnService } from './distributed/spawnService.js';
import { SEED_CATALOGUE } from './inventory/catalogue.js';
import { orderTotal } from './orders/orderDecider.js';
import { createShopServices } from './shopServices.js';
import { settledInvariants } from './testing/checkInvariants.js';
import { ADDRESS } from './testing/createTestShop.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('SIGKILL mid-burst and restart on the same SQLite file: every order terminal, invariants hold, 0 lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-crash-'));
  const path = join(dir, 'shop.db');
  const env = { EVENTFOLD_STORE: `sqlite:${path}`, SHOP_PORT: String(await freePort()), SHOP_HOST: '127.0.0.1' };
  let shop: ServiceProcess = await spawnService('all', env);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(async () => {
    shop.child.kill('SIGKILL');
    await shop.exited;
  });

  const orderIds: string[] = [];
  const place = async (i: number) => {
    const body = {
      customerId: `c${i % 9}`,
      lines: [{ sku: i % 6 === 0 ? 'LTD-001' : 'TEA-002', quantity: 1 + (i % 2) }],
      shippingAddress: ADDRESS,
      paymentToken: i % 7 === 0 ? 'tok_declined' : 'tok_visa',
    };
    const res = await fetch(`${shop.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const { orderId } = (await res.json()) as { orderId: string };
    orderIds.push(orderId);
    if (i % 10 === 4) await fetch(`${shop.url}/orders/${orderId}/cancel`, { method: 'POST' });
  };
  // Waves of concurrent orders, so plenty is in flight however fast the shop works through them.
  for (let wave = 0; wave < 4; wave++) await Promise.all(Array.from({ length: 40 }, (_, i) => place(wave * 40 + i)));
  // Crash while the burst is being worked through.
  const store = createSqliteEventStore({ path, busyTimeoutMs: 30_000 });
  cleanups.push(() => store.close());
  const services = createShopServices(store);
  const terminal = async () => {
    let n = 0;
    for (const id of orderIds) if ((await services.repositories.orders.load(id)).state.status !== 'placed') n++;
    return n;
  };
  shop.child.kill('SIGKILL');
  await shop.exited;
  const atCrash = await terminal();
  expect(atCrash, 'the crash must interrupt unfinished work').toBeLessThan(orderIds.length);

  shop = await spawnService('all', env);
  const report = await settledInvariants(
    services,
    orderIds,
    SEED_CATALOGUE.map((i) => i.sku),
    { timeoutMs: 180_000 },
  );
  expect(report.violations).toEqual([]);
  expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(orderIds.length);
  // Money: every completed order captured exactly its total, once.
  for (const id of orderIds) {
    const order = (await services.repositories.orders.load(id)).state;
    if (order.status !== 'completed') continue;
    const captures = (await store.readStream(`payment-${id}`)).filter((e) => e.type === 'PaymentCaptured');
    expect(captures.map((e) => (e.data as { amount: number }).amount)).toEqual([orderTotal(order.lines)]);
  }
});
