/**
 * The order fulfilment world for the simulation harness: per seed, a few orders racing for scarce
 * stock, some with declined cards or undeliverable addresses, all through the orchestrated saga.
 * The invariants are the shop's books: money charged = refunded + captured; stock reserved =
 * released + shipped; each effect once; every saga terminal and consistent with its effects.
 */
import { runInMessageContext, type SagaDefinition } from '@eventfold/core';
import type { SimulationContext, SimulationOptions } from '@eventfold/core/testing';
import { ledgerOf } from '../ledger.js';
import type { OrderLine, ShopCommand } from '../messages.js';
import { defineOrderFulfilment } from '../orchestration/orderFulfilmentSaga.js';
import { createShopServices, type ShopServices } from '../services/createShopServices.js';
import { CARD_LIMIT } from '../services/paymentDecider.js';

/** Short timeouts so that the harness's delays make some steps time out. */
export const SIMULATION_TIMEOUTS = { paymentMs: 20_000, stockMs: 20_000, shippingMs: 30_000, compensationMs: 20_000 };

export interface OrderWorldOptions {
  /** Orders per seed, racing for 1–3 books. Default 2. */
  orders?: number;
  // biome-ignore lint/suspicious/noExplicitAny: any variant of the saga (tests break it on purpose).
  saga?: SagaDefinition<any, any>;
}

export function orderWorld(seed: number, options: OrderWorldOptions = {}): SimulationOptions {
  const orders = options.orders ?? 2;
  const saga = options.saga ?? defineOrderFulfilment(SIMULATION_TIMEOUTS);
  const services = new WeakMap<object, ShopServices>();
  const servicesOf = (context: SimulationContext) => {
    let found = services.get(context.store);
    if (found === undefined) {
      found = createShopServices(context.store);
      services.set(context.store, found);
    }
    return found;
  };
  return {
    seed,
    saga,
    async setup(context) {
      const shop = servicesOf(context);
      const { random } = context;
      await shop.inventory.handle('book', { type: 'AddStock', data: { sku: 'book', qty: 1 + Math.floor(random() * 3) } });
      for (let i = 1; i <= orders; i++) {
        const line: OrderLine = {
          orderId: `o${i}`,
          amount: random() < 0.1 ? CARD_LIMIT + 1 : 100 + Math.floor(random() * 5_000),
          card: random() < 0.1 ? 'declined' : 'visa',
          sku: 'book',
          qty: 1 + Math.floor(random() * 2),
          address: random() < 0.15 ? 'nowhere' : `${i} Main St`,
        };
        await shop.orders.handle(line.orderId, { type: 'PlaceOrder', data: line });
      }
    },
    async handleCommand(command, context) {
      const shop = servicesOf(context);
      await runInMessageContext(
        { messageId: command.commandId, correlationId: command.correlationId ?? command.commandId, causationId: command.causationId, headers: {} },
        () => shop.handle({ type: command.type, data: command.data } as ShopCommand),
      );
    },
    invariants({ sagas, events }) {
      const ledger = ledgerOf(events);
      const broken: string[] = [];
      if (ledger.charged !== ledger.refunded + ledger.captured)
        broken.push(`money: charged ${ledger.charged} ≠ refunded ${ledger.refunded} + captured ${ledger.captured}`);
      if (ledger.reserved !== ledger.released + ledger.shipped)
        broken.push(`stock: reserved ${ledger.reserved} ≠ released ${ledger.released} + shipped ${ledger.shipped}`);
      if (ledger.doubled.length > 0) broken.push(`effects applied twice: ${ledger.doubled.join(', ')}`);
      for (let i = 1; i <= orders; i++) {
        const id = `o${i}`;
        const state = sagas.get(id);
        const effects = ledger.effects.get(id) ?? [];
        if (state === undefined) broken.push(`${id}: no saga`);
        else if (state.status === 'Completed') {
          for (const needed of ['PaymentCaptured', 'StockShipped', 'ShipmentScheduled'])
            if (!effects.includes(needed)) broken.push(`${id}: Completed without ${needed} (${effects.join(', ')})`);
          for (const forbidden of ['PaymentRefunded', 'StockReleased', 'ShipmentCancelled'])
            if (effects.includes(forbidden)) broken.push(`${id}: Completed with ${forbidden}`);
        } else if (state.status === 'Compensated') {
          for (const forbidden of ['PaymentCaptured', 'StockShipped'])
            if (effects.includes(forbidden)) broken.push(`${id}: Compensated with ${forbidden} (${effects.join(', ')})`);
        } else broken.push(`${id}: ended ${state.status}, not Completed or Compensated`);
      }
      return broken;
    },
  };
}
