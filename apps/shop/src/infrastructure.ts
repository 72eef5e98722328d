/**
 * Opens what the configuration names: the event store, the read-model database beside it, the relay
 * lease and the transport. Adapters are chosen here only; the services see the core interfaces.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Clock,
  createDirectTransport,
  createInMemoryEventStore,
  createInMemoryRelayLease,
  createStoreTransport,
  type EventStore,
  type RelayLease,
  type RelayOptions,
  systemClock,
  type Transport,
} from '@eventfold/core';
import { createSqliteEventStore, createSqliteRelayLease, type SqliteEventStore } from '@eventfold/sqlite';
import type { ShopConfig } from './config/loadConfig.js';

export interface Infrastructure {
  store: EventStore;
  /**
   * Where read models and their checkpoints live: the store's own SQLite file in embedded mode (one
   * file, one backup, read model and checkpoint in one transaction), a private SQLite database otherwise.
   */
  readModels: SqliteEventStore;
  lease: RelayLease;
  /**
   * What the relay reads and checkpoints through: the store itself, or on PostgreSQL the same schema
   * through a pool of its own, so the relay (on every message's path) never queues for a connection
   * behind the handlers; appends through `store` still wake it. The PostgreSQL one can filter by type
   * (`readAllOfTypes`), so a relay given its `types` reads only those events.
   */
  relayStore(): RelayOptions['store'];
  transport: Transport;
  /** True when `transport` is the direct transport (consumers must drain what the store transport left first). */
  direct: boolean;
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  clock?: Clock;
  /** File for the read models when the store is PostgreSQL. Default ':memory:' (rebuilt from the log at start). */
  readModelPath?: string;
  /** Name of this process in broker connections. */
  processName?: string;
  /**
   * Which in-process transport `inproc:` means when this process runs all four services: 'direct'
   * (default: the relay hands messages to the consumers and checkpoints once they handled them) or
   * 'store' (each message is written to the store and read back by each consumer group). A process
   * running only some services always uses 'store', which also reaches consumers in other processes.
   */
  inproc?: 'direct' | 'store';
}

export async function openInfrastructure(config: ShopConfig, options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const clock = options.clock ?? systemClock;
  const closers: (() => Promise<void> | void)[] = [];
  let store: EventStore;
  let readModels: SqliteEventStore;
  let lease: RelayLease;
  let relayStore: Infrastructure['relayStore'] = () => store;
  if (config.store.kind === 'sqlite') {
    if (config.store.path !== ':memory:') mkdirSync(dirname(config.store.path), { recursive: true });
    const sqlite = createSqliteEventStore({ path: config.store.path, clock, busyTimeoutMs: 30_000 });
    store = sqlite;
    readModels = sqlite;
    lease = createSqliteRelayLease({ database: sqlite.db, clock });
  } else if (config.store.kind === 'memory') {
    store = createInMemoryEventStore({ clock });
    readModels = createSqliteEventStore({ path: ':memory:', clock });
    closers.push(() => readModels.close());
    lease = createInMemoryRelayLease({ clock });
  } else {
    // Adapters load only when configured: embedded start-up does not pay for broker clients.
    const { createPostgresEventStore, createPostgresRelayLease } = await import('@eventfold/postgres');
    // The process that serves HTTP and runs the saga has the most handlers waiting on the database at once.
    const busy = config.http || config.services.includes('orders');
    const pg = await createPostgresEventStore({ connectionString: config.store.url, schema: config.store.schema, clock, maxConnections: busy ? 20 : 10 });
    store = pg;
    readModels = createSqliteEventStore({ path: options.readModelPath ?? ':memory:', clock });
    closers.push(() => readModels.close());
    const relayPg = await createPostgresEventStore({ connectionString: config.store.url, schema: config.store.schema, clock, maxConnections: 2 });
    closers.push(() => relayPg.close());
    relayStore = () => ({
      readAll: relayPg.readAll,
      readAllOfTypes: relayPg.readAllOfTypes,
      checkpoints: relayPg.checkpoints,
      onAppend: pg.onAppend,
    });
    lease = await createPostgresRelayLease({ store: relayPg, clock });
  }
  let transport: Transport;
  let direct = false;
  if (config.transport.kind === 'inproc') {
    // Every consumer is in this process: the event log plus the relay's checkpoint are the durable
    // copy, and nothing needs writing per message (docs/shop.md, "Load and benchmarks").
    direct = (options.inproc ?? 'direct') === 'direct' && config.services.length === 4;
    transport = direct ? createDirectTransport({ store, clock }) : createStoreTransport({ store, clock, pollIntervalMs: 100 });
  } else if (config.transport.kind === 'kafka') {
    const { createKafkaTransport } = await import('@eventfold/kafka');
    transport = createKafkaTransport({
      brokers: config.transport.brokers,
      clientId: options.processName ?? 'eventfold-shop',
      clock,
      // A process holds two clients per subscription (destination + retry topic), the orders process ten:
      // fetches that wait longer when there is nothing (a record still ends the wait at once), fewer
      // heartbeats and fewer offset commits cut what each client costs the process and the broker.
      // Committing every 200 ms instead of 50 only widens what a crash redelivers (handlers are idempotent).
      consumer: { maxWaitMs: 500, heartbeatIntervalMs: 1_000, commitIntervalMs: 200 },
    });
  } else {
    const { createRabbitMqTransport } = await import('@eventfold/rabbitmq');
    transport = await createRabbitMqTransport({ url: config.transport.url, connectionName: options.processName ?? `eventfold-shop-${process.pid}`, clock });
  }
  return {
    store,
    readModels,
    lease,
    relayStore,
    transport,
    direct,
    async close() {
      await transport.close();
      for (const close of closers.reverse()) await close();
      await store.close();
    },
  };
}
