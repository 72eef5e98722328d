/**
 * The choreographed shop in one process: one reactor per service over a shared event store, on a
 * manual clock. `settle()` runs the reactors until nothing moves; a service can be taken down
 * (`down`) and brought back to show what happens when one stops reacting.
 */
import {
  createInMemoryEventStore,
  createInMemoryTimerStore,
  createManualClock,
  createReactor,
  type EventStore,
  type ManualClock,
  type Reactor,
} from '@eventfold/core';
import type { OrderLine } from '../messages.js';
import { createShopServices } from '../services/createShopServices.js';
import { orderReactions } from './orderReactions.js';

export interface ChoreographedShopOptions {
  shippingDeadlineMs?: number;
  stock?: Record<string, number>;
  store?: EventStore;
  clock?: ManualClock;
}

type Service = 'orders' | 'payments' | 'inventory' | 'shipping';

export async function createChoreographedShop(options: ChoreographedShopOptions = {}) {
  const clock = options.clock ?? createManualClock(Date.UTC(2026, 0, 1));
  const store = options.store ?? createInMemoryEventStore({ clock });
  const services = createShopServices(store);
  const timers = createInMemoryTimerStore();
  const reactions = orderReactions(services, { shippingDeadlineMs: options.shippingDeadlineMs ?? 60_000 });
  const reactors: Record<Service, Reactor> = {
    orders: createReactor({ name: 'orders', store, reactions: reactions.orders, timers, clock }),
    payments: createReactor({ name: 'payments', store, reactions: reactions.payments, timers, clock }),
    inventory: createReactor({ name: 'inventory', store, reactions: reactions.inventory, timers, clock }),
    shipping: createReactor({ name: 'shipping', store, reactions: reactions.shipping, timers, clock }),
  };
  const down = new Set<Service>();
  for (const [sku, qty] of Object.entries(options.stock ?? { book: 10 })) {
    if (qty > 0) await services.inventory.handle(sku, { type: 'AddStock', data: { sku, qty } });
  }

  const settle = async () => {
    for (let round = 0; round < 1_000; round++) {
      let moved = 0;
      for (const [name, reactor] of Object.entries(reactors) as [Service, Reactor][]) {
        if (down.has(name)) continue;
        const done = await reactor.runOnce();
        moved += done.events + done.timers;
      }
      if (moved === 0) return;
    }
    throw new Error('the shop did not settle within 1,000 rounds');
  };

  return {
    store,
    clock,
    services,
    reactors,
    settle,
    down: (service: Service) => down.add(service),
    up: (service: Service) => down.delete(service),
    /** Places an order; the business transaction's correlation id is `flow-<orderId>`. */
    async placeOrder(line: OrderLine) {
      await services.orders.handle(line.orderId, { type: 'PlaceOrder', data: line }, { correlationId: `flow-${line.orderId}` });
    },
    async advance(ms: number) {
      clock.advance(ms);
      await settle();
    },
    async orderStatus(orderId: string) {
      return (await services.orders.load(orderId)).state.status;
    },
  };
}
