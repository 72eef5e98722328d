/**
 * Assembles the shop from its configuration: the services this process runs, the relay that
 * publishes their integration events, their consumers, the read models and (optionally) the HTTP API.
 * `npm start` runs everything in one process; distributed mode runs one service per process.
 */
import {
  type Binding,
  type Clock,
  type Consumer,
  createJsonSerde,
  createProjectionRunner,
  createRelay,
  defineBinding,
  drainStoreTransport,
  eventToMessage,
  type MessageHandler,
  type ProjectionRunner,
  type RecordedEvent,
  type Relay,
  type RelayRoute,
  runInMessageContext,
  sagaCommandRoute,
  systemClock,
  type Transport,
  withJsonSerde,
} from '@eventfold/core';
import { createSqliteProjectionTarget } from '@eventfold/sqlite';
import { SERVICES, type ServiceName, type ShopConfig } from './config/loadConfig.js';
import {
  type Context,
  DESTINATIONS,
  INTEGRATION_READERS,
  type IntegrationMessage,
  ownerOf,
  PUBLISHED,
  toIntegrationEvent,
} from './contracts/integrationEvents.js';
import { createFulfilment, type Fulfilment, fulfilmentCommandRoute } from './fulfilment/createFulfilment.js';
import { FULFILMENT_SAGA } from './fulfilment/fulfilmentSaga.js';
import { fulfilmentSubscriptions, type Subscription } from './fulfilment/fulfilmentWiring.js';
import { type Infrastructure, openInfrastructure } from './infrastructure.js';
import { SEED_CATALOGUE } from './inventory/catalogue.js';
import { catalogueProjection } from './readModels/catalogueProjection.js';
import { ordersProjection } from './readModels/ordersProjection.js';
import { createPostgresSearchRunner } from './readModels/postgresSearch.js';
import { createShopServices, type ShopServices } from './shopServices.js';

/** Which contexts' events a service publishes. The saga log travels with the orders service. */
const PUBLISHES: Record<ServiceName, Context[]> = {
  orders: ['orders', 'fulfilment'],
  payments: ['payments'],
  inventory: ['inventory'],
  shipping: ['shipping'],
};

export interface Shop {
  readonly config: ShopConfig;
  readonly infrastructure: Infrastructure;
  readonly services: ShopServices;
  readonly projections: readonly ProjectionRunner[];
  /** Consumer bindings of this process, by name (the dead-letter API lists them). */
  readonly consumerBindings: ReadonlyMap<string, Binding>;
  readonly transport: Transport;
  readonly clock: Clock;
  /** The orchestrated fulfilment saga (runner, operator API) when this process runs or shows it. */
  readonly fulfilment: Fulfilment | undefined;
  /** Wakes the relay and projections after a write in this process (lower latency than polling). */
  wake(): void;
  stop(): Promise<void>;
}

export interface CreateShopOptions {
  clock?: Clock;
  processName?: string;
  readModelPath?: string;
  /** Relay poll interval when caught up, in ms. Default 5. */
  relayPollMs?: number;
  /** With a broker, how long the relay lets appends gather after a wake-up before it reads, in ms. Default 10. */
  relayGatherMs?: number;
  /** Handlers per consumer running at once (per-order order is kept). Default 16 in process, 48 with a broker. */
  concurrency?: number;
  /** What `inproc:` uses when this process runs every service (see InfrastructureOptions.inproc). Default 'direct'. */
  inproc?: 'direct' | 'store';
  onError?: (error: unknown) => void;
}

/** `shop.orders` → `<namespace>.orders`: the default namespace gives the documented names. */
export function destinationOf(config: Pick<ShopConfig, 'namespace'>, context: Context): string {
  return DESTINATIONS[context].replace(/^shop\./, `${config.namespace}.`);
}

/**
 * The saga's commands travel on one destination per receiving service, `<namespace>.fulfilment.<service>`
 * (`shop.fulfilment.payments` …): each service's group reads its own commands only, not every command
 * of every order (four groups each reading all of them cost ~20 record deliveries per order).
 */
export function commandDestinationOf(config: Pick<ShopConfig, 'namespace'>, service: ServiceName): string {
  return `${destinationOf(config, 'fulfilment')}.${service}`;
}

/** The consumer binding of one subscription (the broker resources a process creates for it). */
export function consumerBinding(
  config: Pick<ShopConfig, 'namespace'>,
  binder: string,
  sub: Pick<Subscription, 'group' | 'source' | 'service'>,
  concurrency = 16,
): Binding {
  return defineBinding(`${sub.group}-from-${sub.source}`, {
    binder,
    destination: sub.source === 'fulfilment' ? commandDestinationOf(config, sub.service) : destinationOf(config, sub.source),
    // One group per (service, source): on Kafka a group id must not span bindings with different topics.
    group: `${config.namespace}-${sub.group}-from-${sub.source}`,
    consumer: { concurrency, retry: { maxAttempts: 8, initialDelayMs: 20, multiplier: 2, maxDelayMs: 2_000 } },
  });
}

function outgoingRoute(context: Context, binder: string, destination: string): RelayRoute {
  const binding = defineBinding(`${context}-out`, { binder, destination });
  return {
    binding,
    filter: (event) => ownerOf(event.streamId) === context,
    toMessage: (event) => {
      const integration = toIntegrationEvent(context, event);
      if (integration === undefined) return undefined;
      // Keyed by order: every message about one order keeps its order on each destination.
      return eventToMessage({ ...event, data: integration.data as never }, integration.data.orderId);
    },
  };
}

/** One route per receiving service, and for a command addressed to none of them the shared destination (never dropped). */
function commandRoutes(config: Pick<ShopConfig, 'namespace'>, binder: string): RelayRoute[] {
  const perService = SERVICES.map((service) =>
    sagaCommandRoute(defineBinding(`fulfilment-${service}-out`, { binder, destination: commandDestinationOf(config, service) }), {
      saga: FULFILMENT_SAGA,
      to: service,
    }),
  );
  const rest = fulfilmentCommandRoute(binder, destinationOf(config, 'fulfilment'));
  const known = new Set<string>(SERVICES);
  const addressed = (event: RecordedEvent) => known.has((event.data as { command?: { to?: string | null } }).command?.to ?? '');
  return [...perService, { ...rest, filter: (event) => (rest.filter?.(event) ?? true) && !addressed(event) }];
}

/** `place` that starts the order's saga in this process once `OrderPlaced` is committed (not awaited by the caller). */
function placeAndStartSaga(place: ShopServices['orders']['place'], fulfilment: Fulfilment, onError: (error: unknown) => void): ShopServices['orders']['place'] {
  return async (input, now) => {
    const result = await place(input, now);
    if (result.placed) {
      const placed = { type: 'OrderPlaced', data: PUBLISHED.orders.OrderPlaced?.(result.placed) } as IntegrationMessage;
      void fulfilment.startLocally(placed).catch(onError);
    }
    return result;
  };
}

export async function createShop(config: ShopConfig, options: CreateShopOptions = {}): Promise<Shop> {
  const clock = options.clock ?? systemClock;
  const infrastructure = await openInfrastructure(config, {
    clock,
    ...(options.processName ? { processName: options.processName } : {}),
    ...(options.readModelPath ? { readModelPath: options.readModelPath } : {}),
    ...(options.inproc ? { inproc: options.inproc } : {}),
  });
  const { store, transport } = infrastructure;
  const onError = options.onError ?? ((error: unknown) => console.error('[shop]', error));
  // With a broker, the saga beside the orders service skips the broker where it would only talk to its
  // own process: it starts an order's saga as soon as the order is placed here, and hands its commands
  // for the orders service straight to it (both still travel through the broker as the crash backstop).
  // Two hops fewer on every order's way to its terminal state (docs/shop.md, item 18).
  const local = config.sagaStyle === 'orchestration' && config.services.includes('orders') && config.transport.kind !== 'inproc';
  /** The orders service's consumer of saga commands: where `localCommands` hands them (set below). */
  let ordersCommands: Subscription | undefined;
  const base = createShopServices(store);

  if (config.seedCatalogue && config.services.includes('inventory')) {
    for (const item of SEED_CATALOGUE) await base.inventory.list(item);
  }

  // Read models and their checkpoints commit in one SQLite transaction (exactly-once); with a separate
  // read-model database the runner still reads the event store's log, and lag is counted from it.
  const target = createSqliteProjectionTarget(infrastructure.readModels);
  if (infrastructure.readModels !== (store as unknown)) delete target.countEventsAfter;
  const projections: ProjectionRunner[] = (config.http ? [ordersProjection(), catalogueProjection()] : []).map((projection) =>
    createProjectionRunner({ store, projection, target, pollIntervalMs: 10, clock }),
  );
  // On PostgreSQL, full-text search lives beside the store (tsvector + GIN), checkpointed in the same transaction.
  if (config.http && config.store.kind === 'postgres') projections.push(await createPostgresSearchRunner(store, { clock }));

  const publishes = [...new Set(config.services.flatMap((s) => PUBLISHES[s]))];
  const fulfilment =
    config.sagaStyle === 'orchestration' && (config.services.includes('orders') || config.http)
      ? await createFulfilment({
          config,
          store,
          clock,
          onError,
          ...(local ? { localCommands: { to: 'orders', handle: async (command) => ordersCommands?.handle(command) } } : {}),
        })
      : undefined;
  const services: ShopServices =
    local && fulfilment ? { ...base, orders: { ...base.orders, place: placeAndStartSaga(base.orders.place, fulfilment, onError) } } : base;
  const routes = publishes.flatMap((context) =>
    context === 'fulfilment' ? commandRoutes(config, transport.binder) : [outgoingRoute(context, transport.binder, destinationOf(config, context))],
  );
  for (const route of routes) await transport.provision(route.binding);
  const relay: Relay = createRelay({
    name: config.services.length === 4 ? 'shop-relay' : `shop-relay-${config.services.join('-')}`,
    store: infrastructure.relayStore(),
    // Only the types a route can turn into a message (a store that can filters the others out in the database).
    types: publishes.flatMap((context) => (context === 'fulfilment' ? ['SagaCommandIssued'] : Object.keys(PUBLISHED[context]))),
    transport,
    routes,
    lease: infrastructure.lease,
    leaseTtlMs: 5_000,
    pollIntervalMs: options.relayPollMs ?? 5,
    // With a broker, under load every append wakes the relay: letting 10 ms of appends gather makes one
    // cycle (log read, publish, checkpoint) of what was a cycle per append or two.
    ...(config.transport.kind === 'inproc' ? {} : { gatherMs: options.relayGatherMs ?? 10 }),
    retryDelayMs: 250,
    clock,
    onError,
  });

  const serde = createJsonSerde({ types: INTEGRATION_READERS });
  // With a broker, 48 handlers per consumer: more of a fetch's records are handled at once (their appends
  // share group commits); measured 16 → 48: 5–10% less CPU per order on Kafka and RabbitMQ.
  const concurrency = options.concurrency ?? (config.transport.kind === 'inproc' ? 16 : 48);
  const consumerBindings = new Map<string, Binding>();
  const consumers: Consumer[] = [];
  const subscriptions: { binding: Binding; handler: MessageHandler }[] = [];
  for (const sub of fulfilmentSubscriptions(config.sagaStyle, services, clock, fulfilment)) {
    if (!config.services.includes(sub.service)) continue;
    if (sub.service === 'orders' && sub.source === 'fulfilment') ordersCommands = sub;
    const binding = consumerBinding(config, transport.binder, sub, concurrency);
    consumerBindings.set(binding.name, binding);
    await transport.provision(binding);
    const handler = withJsonSerde(serde, (message) =>
      runInMessageContext({ messageId: message.id, correlationId: message.correlationId ?? message.id, causationId: message.id, headers: {} }, () =>
        sub.handle({ type: message.type, data: message.data } as IntegrationMessage),
      ),
    );
    subscriptions.push({ binding, handler });
  }
  // A file last run with the store transport may hold messages its groups had not consumed: handle them first.
  if (infrastructure.direct) await drainStoreTransport({ store, subscriptions, clock });
  for (const { binding, handler } of subscriptions) consumers.push(await transport.subscribe(binding, handler));

  void relay.start().catch(onError);
  if (config.services.includes('orders')) fulfilment?.start();
  for (const runner of projections) await runner.start();

  return {
    config,
    infrastructure,
    services,
    projections,
    consumerBindings,
    transport,
    clock,
    fulfilment,
    wake() {
      for (const runner of projections) runner.wake();
    },
    async stop() {
      await relay.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      await fulfilment?.stop();
      for (const runner of projections) await runner.stop();
      await infrastructure.close();
    },
  };
}
