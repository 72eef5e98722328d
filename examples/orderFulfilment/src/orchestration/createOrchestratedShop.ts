/**
 * The orchestrated shop in one process: an event store, the saga runner, the outbox relay that
 * carries saga commands to each service's binding, and the fake services consuming them. Time is a
 * manual clock, and `settle()` runs every part until nothing moves, so tests are exact and fast.
 */
import {
  type Consumer,
  createInMemoryEventStore,
  createInMemoryTimerStore,
  createInMemoryTransport,
  createManualClock,
  createRelay,
  createSagaOperator,
  createSagaRunner,
  defineBinding,
  type EventStore,
  type ManualClock,
  readSagaCommand,
  runInMessageContext,
  type SagaState,
  sagaCommandRoute,
} from '@eventfold/core';
import type { OrderLine, ShopCommand } from '../messages.js';
import { createShopServices, type ShopService } from '../services/createShopServices.js';
import { defineOrderFulfilment, type OrderFulfilmentTimeouts } from './orderFulfilmentSaga.js';

export interface OrchestratedShopOptions {
  timeouts?: OrderFulfilmentTimeouts;
  /** Stock per SKU at the start. Default { book: 10 }. */
  stock?: Record<string, number>;
  store?: EventStore;
  clock?: ManualClock;
}

const SERVICES: readonly Exclude<ShopService, 'orders'>[] = ['payments', 'inventory', 'shipping'];

export async function createOrchestratedShop(options: OrchestratedShopOptions = {}) {
  const clock = options.clock ?? createManualClock(Date.UTC(2026, 0, 1));
  const store = options.store ?? createInMemoryEventStore({ clock });
  const services = createShopServices(store);
  const saga = defineOrderFulfilment(options.timeouts);
  const timers = createInMemoryTimerStore();
  const runner = createSagaRunner({ store, saga, timers, clock, random: () => 0.5 });
  const operator = createSagaOperator({ store, saga, timers, clock });
  const transport = createInMemoryTransport({ clock });
  const bindings = Object.fromEntries(SERVICES.map((s) => [s, defineBinding(s, { binder: 'memory', destination: `${s}-commands`, group: s })])) as Record<
    (typeof SERVICES)[number],
    ReturnType<typeof defineBinding>
  >;
  const relay = createRelay({ name: 'saga-commands', store, transport, clock, routes: SERVICES.map((s) => sagaCommandRoute(bindings[s], { to: s })) });
  const consumers = {} as Record<(typeof SERVICES)[number], Consumer>;
  /** Commands each service handled, in order (type and order id). */
  const handled: { service: string; type: string; orderId: string }[] = [];
  for (const service of SERVICES) {
    await transport.provision(bindings[service]);
    consumers[service] = await transport.subscribe(bindings[service], async (message) => {
      const command = readSagaCommand(message);
      const shopCommand = { type: command.type, data: command.data } as ShopCommand;
      handled.push({ service, type: command.type, orderId: (command.data as { orderId: string }).orderId });
      // The service's events name the command as their cause and keep the order's correlation id.
      await runInMessageContext(
        { messageId: command.commandId, correlationId: command.correlationId ?? command.commandId, causationId: command.causationId, headers: {} },
        () => services.handle(shopCommand),
      );
    });
  }
  for (const [sku, qty] of Object.entries(options.stock ?? { book: 10 })) {
    if (qty > 0) await services.inventory.handle(sku, { type: 'AddStock', data: { sku, qty } });
  }

  const flush = async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const busy = () => SERVICES.some((s) => !consumers[s].paused && (transport.pending(bindings[s]) > 0 || consumers[s].inFlight > 0));

  /** Runs runner, relay and services until none has anything left to do at the current time. */
  const settle = async () => {
    for (let round = 0; round < 1_000; round++) {
      const done = await runner.runOnce();
      const relayed = await relay.runOnce();
      await flush();
      if (done.events === 0 && done.timers === 0 && relayed === 0 && !busy()) return;
    }
    throw new Error('the shop did not settle within 1,000 rounds');
  };

  return {
    store,
    clock,
    services,
    saga,
    timers,
    runner,
    operator,
    consumers,
    handled,
    settle,
    async placeOrder(line: OrderLine) {
      await services.orders.handle(line.orderId, { type: 'PlaceOrder', data: line });
    },
    /** Moves the clock and lets every due timer fire. */
    async advance(ms: number) {
      clock.advance(ms);
      await settle();
    },
    async sagaState(orderId: string): Promise<SagaState> {
      return (await operator.status(orderId)).state;
    },
  };
}

export type OrchestratedShop = Awaited<ReturnType<typeof createOrchestratedShop>>;
