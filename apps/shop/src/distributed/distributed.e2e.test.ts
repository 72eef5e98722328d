/**
 * Distributed mode end to end: four service processes on one PostgreSQL store and a broker, orders
 * placed over HTTP, the payments process SIGKILLed mid-run and restarted. Every order must end
 * terminal, the money and stock invariants must hold on the streams, and no order may be lost. Run
 * over RabbitMQ and over Kafka. Each run has its own schema and namespace (topics, queues, groups)
 * and removes them afterwards.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { SEED_CATALOGUE } from '../inventory/catalogue.js';
import { driveOrdersThrough, fetchInjector } from '../load/driveOrders.js';
import { createShopServices } from '../shopServices.js';
import { checkInvariants, type InvariantReport } from '../testing/checkInvariants.js';
import { startDistributedRun } from './distributedRun.js';

const POSTGRES = process.env.EVENTFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORDERS = Number(process.env.SHOP_DISTRIBUTED_ORDERS ?? 60);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
});

describe.each([
  ['RabbitMQ', 'amqp://guest:guest@127.0.0.1:5672'],
  ['Kafka', 'kafka://127.0.0.1:9092'],
])('distributed shop over PostgreSQL + %s', (_name, transportUrl) => {
  test(`${ORDERS} orders through four service processes, payments SIGKILLed and restarted mid-run: all terminal, invariants hold, 0 lost`, async () => {
    const run = await startDistributedRun({ postgresUrl: POSTGRES, transportUrl, prefix: 'shop_e2e' });
    cleanups.push(() => run.close());
    const { store, processes, url } = run;

    let killed = false;
    let restarted: Promise<void> | undefined;
    const result = await driveOrdersThrough(fetchInjector(url), run.feed, {
      orders: ORDERS,
      rate: 15,
      timeoutMs: 240_000,
      onProgress: ({ placed }) => {
        if (killed || placed < ORDERS * 0.4) return;
        killed = true;
        processes.get('payments')?.child.kill('SIGKILL');
        restarted = (async () => {
          await processes.get('payments')?.exited;
          await new Promise((r) => setTimeout(r, 1_000));
          await run.spawn('payments');
        })();
      },
    });
    await restarted;
    expect(killed).toBe(true);
    expect({ placed: result.orderIds.length, unfinished: result.unfinished }).toEqual({ placed: ORDERS, unfinished: 0 });

    const services = createShopServices(store);
    let report: InvariantReport = { outcomes: {}, violations: ['not checked'] };
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      report = await checkInvariants(
        services,
        result.orderIds,
        SEED_CATALOGUE.map((i) => i.sku),
      );
      if (report.violations.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(report.violations).toEqual([]);
    expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(ORDERS);
    expect(report.outcomes.completed).toBeGreaterThan(0);
  });
});
