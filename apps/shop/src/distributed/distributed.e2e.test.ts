/**
 * Distributed mode end to end: four service processes on one PostgreSQL store and a broker, orders
 * placed over HTTP, the payments process SIGKILLed mid-run and restarted. Every order must end
 * terminal, the money and stock invariants must hold on the streams, and no order may be lost. Run
 * over RabbitMQ and over Kafka. Each run has its own schema and namespace (topics, queues, groups)
 * and removes them afterwards.
 */
import { randomBytes } from 'node:crypto';
import { type RecordedEvent, START, systemClock, type Transport } from '@eventfold/core';
import { createPostgresEventStore, type PostgresEventStore } from '@eventfold/postgres';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../config/loadConfig.js';
import { consumerBinding, destinationOf } from '../createShop.js';
import { fulfilmentSubscriptions } from '../fulfilment/fulfilmentWiring.js';
import { SEED_CATALOGUE } from '../inventory/catalogue.js';
import { driveOrdersThrough, fetchInjector, type TerminalFeed } from '../load/driveOrders.js';
import { createShopServices } from '../shopServices.js';
import { checkInvariants, type InvariantReport } from '../testing/checkInvariants.js';
import { type ServiceProcess, spawnService } from './spawnService.js';

const POSTGRES = process.env.EVENTFOLD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORDERS = Number(process.env.SHOP_DISTRIBUTED_ORDERS ?? 60);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
});

/** Terminal order events read straight from the store's log. */
function storeFeed(store: PostgresEventStore): TerminalFeed {
  let after = START;
  return async () => {
    const rows: { orderId: string; status: string; reason: string | null }[] = [];
    for (;;) {
      const events: RecordedEvent[] = await store.readAll({ after, maxCount: 1000 });
      for (const e of events) {
        after = e.globalPosition;
        if (!e.streamId.startsWith('order-')) continue;
        const d = e.data as { orderId: string; reason?: string };
        if (e.type === 'OrderCompleted') rows.push({ orderId: d.orderId, status: 'completed', reason: null });
        if (e.type === 'OrderRejected') rows.push({ orderId: d.orderId, status: 'rejected', reason: d.reason ?? null });
        if (e.type === 'OrderCancelled') rows.push({ orderId: d.orderId, status: 'cancelled', reason: d.reason ?? null });
      }
      if (events.length < 1000) return rows;
    }
  };
}

async function removeBrokerResources(env: Record<string, string>, store: PostgresEventStore): Promise<void> {
  const config = loadConfig({ ...env, SHOP_SERVICES: 'all' });
  let transport: Transport & { deprovision(binding: unknown): Promise<void> };
  if (config.transport.kind === 'kafka') {
    const { createKafkaTransport } = await import('@eventfold/kafka');
    transport = createKafkaTransport({ brokers: config.transport.brokers });
  } else if (config.transport.kind === 'rabbitmq') {
    const { createRabbitMqTransport } = await import('@eventfold/rabbitmq');
    transport = await createRabbitMqTransport({ url: config.transport.url });
  } else return;
  try {
    const subs = fulfilmentSubscriptions(config.sagaStyle, createShopServices(store), systemClock);
    for (const sub of subs) await transport.deprovision(consumerBinding(config, transport.binder, sub));
    for (const context of ['orders', 'payments', 'inventory', 'shipping', 'fulfilment'] as const) {
      await transport.deprovision({
        name: `${context}-out`,
        binder: transport.binder,
        destination: destinationOf(config, context),
        contentType: 'application/json',
      });
    }
  } finally {
    await transport.close();
  }
}

describe.each([
  ['RabbitMQ', 'amqp://guest:guest@127.0.0.1:5672'],
  ['Kafka', 'kafka://127.0.0.1:9092'],
])('distributed shop over PostgreSQL + %s', (_name, transportUrl) => {
  test(`${ORDERS} orders through four service processes, payments SIGKILLed and restarted mid-run: all terminal, invariants hold, 0 lost`, async () => {
    const suffix = randomBytes(4).toString('hex');
    const schema = `shop_e2e_${suffix}`;
    const env = {
      EVENTFOLD_STORE: `${POSTGRES}?schema=${schema}`,
      EVENTFOLD_TRANSPORT: transportUrl,
      SHOP_NAMESPACE: `e2e-${suffix}`,
      SHOP_PORT: '0',
      SHOP_ADMIN_TOKEN: 'distributed-test-token-0123',
    };
    const store = await createPostgresEventStore({ connectionString: POSTGRES, schema });
    cleanups.push(async () => {
      await removeBrokerResources(env, store);
      await store.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    });
    const processes = new Map<string, ServiceProcess>();
    cleanups.push(async () => {
      for (const p of processes.values()) p.child.kill('SIGKILL');
      await Promise.all([...processes.values()].map((p) => p.exited));
    });
    // Inventory first (it creates the schema and seeds the catalogue), then the other three at once.
    processes.set('inventory', await spawnService('inventory', env));
    await Promise.all((['orders', 'payments', 'shipping'] as const).map(async (service) => processes.set(service, await spawnService(service, env))));
    const url = processes.get('orders')?.url as string;

    let killed = false;
    let restarted: Promise<void> | undefined;
    const result = await driveOrdersThrough(fetchInjector(url), storeFeed(store), {
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
          processes.set('payments', await spawnService('payments', env));
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
