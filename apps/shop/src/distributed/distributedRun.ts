/**
 * One throw-away distributed shop: a fresh PostgreSQL schema and broker namespace, the four service
 * processes (inventory first: it creates the schema and seeds the catalogue), a feed of terminal
 * orders read from the store's log, and a cleanup that removes the processes, the broker resources
 * and the schema. Shared by the distributed end-to-end test and the distributed benchmark.
 */
import { randomBytes } from 'node:crypto';
import { START, systemClock, type Transport } from '@eventfold/core';
import { createPostgresEventStore, type PostgresEventStore } from '@eventfold/postgres';
import { loadConfig, SERVICES } from '../config/loadConfig.js';
import { commandDestinationOf, consumerBinding, destinationOf } from '../createShop.js';
import { fulfilmentSubscriptions } from '../fulfilment/fulfilmentWiring.js';
import type { TerminalFeed, TerminalOrder } from '../load/driveOrders.js';
import { createShopServices } from '../shopServices.js';
import { type ServiceProcess, spawnService } from './spawnService.js';

export interface DistributedRun {
  env: Record<string, string>;
  store: PostgresEventStore;
  processes: Map<string, ServiceProcess>;
  /** The orders process's API. */
  url: string;
  /** Terminal order events read straight from the store's log. */
  feed: TerminalFeed;
  /** Starts (or restarts) one service process with this run's environment. */
  spawn(service: 'orders' | 'payments' | 'inventory' | 'shipping'): Promise<ServiceProcess>;
  /** Kills the processes, removes topics/queues/groups and drops the schema. */
  close(): Promise<void>;
}

export interface DistributedRunOptions {
  postgresUrl: string;
  transportUrl: string;
  /** Prefix of the schema and namespace; a random suffix is added. */
  prefix: string;
  /** More environment for the service processes (tuning knobs). */
  env?: Record<string, string>;
  /** Extra node flags for the service processes, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] (profiles are written on SIGTERM). */
  execArgv?: string[];
}

/** Terminal order events read straight from the store's log (only those types: the database filters them). */
export function storeFeed(store: PostgresEventStore): TerminalFeed {
  let after = START;
  return async () => {
    const rows: TerminalOrder[] = [];
    for (;;) {
      const { events, scannedTo } = await store.readAllOfTypes({ after, maxCount: 1000, types: ['OrderCompleted', 'OrderRejected', 'OrderCancelled'] });
      after = scannedTo;
      for (const e of events) {
        if (!e.streamId.startsWith('order-')) continue;
        const d = e.data as { orderId: string; reason?: string };
        const status = e.type === 'OrderCompleted' ? 'completed' : e.type === 'OrderRejected' ? 'rejected' : 'cancelled';
        rows.push({ orderId: d.orderId, status, reason: status === 'completed' ? null : (d.reason ?? null), at: e.occurredAt });
      }
      if (events.length < 1000) return rows;
    }
  };
}

/** Deletes the topics/queues and consumer groups a distributed shop with this environment provisioned. */
export async function removeBrokerResources(env: Record<string, string>, store: PostgresEventStore): Promise<void> {
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
    const destinations = [
      ...(['orders', 'payments', 'inventory', 'shipping', 'fulfilment'] as const).map((context) => destinationOf(config, context)),
      ...SERVICES.map((service) => commandDestinationOf(config, service)),
    ];
    for (const destination of destinations) {
      await transport.deprovision({ name: `${destination}-out`, binder: transport.binder, destination, contentType: 'application/json' });
    }
  } finally {
    await transport.close();
  }
}

/** Starts a distributed shop on a fresh schema and namespace. Call `close()` when done, even after a failure. */
export async function startDistributedRun(options: DistributedRunOptions): Promise<DistributedRun> {
  const suffix = randomBytes(4).toString('hex');
  const schema = `${options.prefix}_${suffix}`;
  const env: Record<string, string> = {
    EVENTFOLD_STORE: `${options.postgresUrl}?schema=${schema}`,
    EVENTFOLD_TRANSPORT: options.transportUrl,
    SHOP_NAMESPACE: `${options.prefix.replace(/_/g, '-')}-${suffix}`,
    SHOP_PORT: '0',
    SHOP_ADMIN_TOKEN: 'distributed-test-token-0123',
    ...options.env,
  };
  const store = await createPostgresEventStore({ connectionString: options.postgresUrl, schema, maxConnections: 2 });
  const processes = new Map<string, ServiceProcess>();
  const spawn: DistributedRun['spawn'] = async (service) => {
    const p = await spawnService(service, env, options.execArgv ? { execArgv: options.execArgv } : {});
    processes.set(service, p);
    return p;
  };
  const close = async () => {
    for (const p of processes.values()) p.child.kill('SIGKILL');
    await Promise.all([...processes.values()].map((p) => p.exited));
    await removeBrokerResources(env, store).catch((error: unknown) => console.error('removing broker resources failed:', error));
    await store.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await store.close();
  };
  try {
    await spawn('inventory');
    await Promise.all((['orders', 'payments', 'shipping'] as const).map(spawn));
  } catch (error) {
    await close();
    throw error;
  }
  return { env, store, processes, url: processes.get('orders')?.url as string, feed: storeFeed(store), spawn, close };
}
