/**
 * The four in-process fake services over one event store. `handle` routes a command to its
 * service's decider; every service is an idempotent receiver, so at-least-once delivery of commands
 * (relay redelivery, saga retries, reactions re-run after a crash) has each effect once.
 */
import { createRepository, type EventStore, type HandleResult } from '@eventfold/core';
import type { ShopCommand } from '../messages.js';
import { inventoryDecider } from './inventoryDecider.js';
import { orderDecider } from './orderDecider.js';
import { paymentDecider } from './paymentDecider.js';
import { shippingDecider } from './shippingDecider.js';

export type ShopService = 'orders' | 'payments' | 'inventory' | 'shipping';

/** Which service handles a command type. */
export function serviceOf(command: ShopCommand): ShopService {
  switch (command.type) {
    case 'PlaceOrder':
    case 'CompleteOrder':
    case 'CancelOrder':
      return 'orders';
    case 'ChargePayment':
    case 'RefundPayment':
    case 'CapturePayment':
      return 'payments';
    case 'AddStock':
    case 'ReserveStock':
    case 'ReleaseStock':
    case 'CommitStock':
      return 'inventory';
    case 'ShipOrder':
    case 'CancelShipment':
    case 'ExpireShipment':
      return 'shipping';
  }
}

export function createShopServices(store: EventStore) {
  // Every reservation of a SKU appends to the SKU's stream: allow for many concurrent conflicts.
  const repositories = {
    orders: createRepository({ store, decider: orderDecider }),
    payments: createRepository({ store, decider: paymentDecider }),
    inventory: createRepository({ store, decider: inventoryDecider, maxAttempts: 50 }),
    shipping: createRepository({ store, decider: shippingDecider }),
  };
  const handle = (command: ShopCommand): Promise<HandleResult<unknown, unknown>> => {
    switch (command.type) {
      case 'PlaceOrder':
      case 'CompleteOrder':
      case 'CancelOrder':
        return repositories.orders.handle(command.data.orderId, command);
      case 'ChargePayment':
      case 'RefundPayment':
      case 'CapturePayment':
        return repositories.payments.handle(command.data.orderId, command);
      case 'AddStock':
      case 'ReserveStock':
      case 'ReleaseStock':
      case 'CommitStock':
        return repositories.inventory.handle(command.data.sku, command);
      case 'ShipOrder':
      case 'CancelShipment':
      case 'ExpireShipment':
        return repositories.shipping.handle(command.data.orderId, command);
    }
  };
  return { ...repositories, handle };
}

export type ShopServices = ReturnType<typeof createShopServices>;
