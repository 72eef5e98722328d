/**
 * Distributed mode end to end: four service processes on one PostgreSQL store and a broker, orders
 * placed over HTTP, the payments process SIGKILLed mid-run and restarted. Every order must end
 * terminal, the money and stock invariants must hold on the streams, and no order may be lost. Run
 * over RabbitMQ and over Kafka; over Kafka also with the orders process killed instead (the API and
 * the saga, which starts sagas and completes orders in-process with the broker as its backstop). Each run has its own schema and namespace (topics, queues, groups)
 * and removes them afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { SEED_CATALOGUE } from '../inventory/catalogue.js';
import { driveOrdersThrough, fetchInjector, type Injector } from '../load/driveOrders.js';
import { createShopServices } from '../shopServices.js';
import { settledInvariants } from '../testing/checkInvariants.js';
import { type DistributedRun, startDistributedRun } from './distributedRun.js';

const POSTGRES = process.env.EVENTFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORDERS = Number(process.env.SHOP_DISTRIBUTED_ORDERS ?? 60);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
});

/**
 * Drives ${ORDERS} orders at 15/s through `injector`, SIGKILLs `service` once 40% are placed and starts
 * it again; then every order must be terminal and the money and stock invariants must hold on the streams.
 */
async function killMidRunAndCheck(run: DistributedRun, service: 'orders' | 'payments', injector: Injector): Promise<void> {
  let killed = false;
  let restarted: Promise<void> | undefined;
  const result = await driveOrdersThrough(injector, run.feed, {
    orders: ORDERS,
    rate: 15,
    timeoutMs: 240_000,
    onProgress: ({ placed }) => {
      if (killed || placed < ORDERS * 0.4) return;
      killed = true;
      const victim = run.processes.get(service);
      victim?.child.kill('SIGKILL');
      restarted = (async () => {
        await victim?.exited;
        await new Promise((r) => setTimeout(r, 1_000));
        await run.spawn(service);
      })();
    },
  });
  await restarted;
  expect(killed).toBe(true);
  expect({ placed: result.orderIds.length, unfinished: result.unfinished }).toEqual({ placed: ORDERS, unfinished: 0 });

  const report = await settledInvariants(
    createShopServices(run.store),
    result.orderIds,
    SEED_CATALOGUE.map((i) => i.sku),
  );
  expect(report.violations).toEqual([]);
  expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(ORDERS);
  expect(report.outcomes.completed).toBeGreaterThan(0);
}

/**
 * HTTP to whichever orders process is running: each placement names its order id (a retried placement
 * is then the same order), and a request that finds no process is sent again once it is back.
 */
function followingInjector(run: DistributedRun): Injector {
  return {
    async inject(request) {
      const payload = request.url === '/orders' && request.payload !== undefined ? { orderId: randomUUID(), ...(request.payload as object) } : request.payload;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          return await fetchInjector(run.processes.get('orders')?.url as string).inject({ ...request, payload });
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
  };
}

describe.each([
  ['RabbitMQ', 'amqp://guest:guest@127.0.0.1:5672'],
  ['Kafka', 'kafka://127.0.0.1:9092'],
])('distributed shop over PostgreSQL + %s', (_name, transportUrl) => {
  test(`${ORDERS} orders through four service processes, payments SIGKILLed and restarted mid-run: all terminal, invariants hold, 0 lost`, async () => {
    const run = await startDistributedRun({ postgresUrl: POSTGRES, transportUrl, prefix: 'shop_e2e' });
    cleanups.push(() => run.close());
    await killMidRunAndCheck(run, 'payments', fetchInjector(run.url));
  });
});

describe('distributed shop over PostgreSQL + Kafka, the orders process killed', () => {
  test(`${ORDERS} orders, the orders process (API and saga) SIGKILLed and restarted mid-run: all terminal, invariants hold, 0 lost`, async () => {
    const run = await startDistributedRun({ postgresUrl: POSTGRES, transportUrl: 'kafka://127.0.0.1:9092', prefix: 'shop_e2e' });
    cleanups.push(() => run.close());
    await killMidRunAndCheck(run, 'orders', followingInjector(run));
  });
});
