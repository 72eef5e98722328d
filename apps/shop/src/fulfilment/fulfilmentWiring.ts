/**
 * Who listens to what, per saga style. Orchestration: the fulfilment saga (run beside the orders
 * service) consumes every context's replies and sends commands through `shop.fulfilment`; the
 * services only obey. Choreography: no coordinator — each service reacts to the others' facts, and
 * the order stream joins payment and stock confirmations before shipping.
 */
import type { Clock } from '@eventfold/core';
import type { SagaStyle, ServiceName } from '../config/loadConfig.js';
import { type Context, DESTINATIONS, type IntegrationEvents, type IntegrationMessage } from '../contracts/integrationEvents.js';
import type { ShopServices } from '../shopServices.js';
import { FULFILMENT_INPUTS, type FulfilmentInput } from './fulfilmentSaga.js';

/** One consumer group on one destination, run by the process that runs `service`. */
export interface Subscription {
  service: ServiceName;
  group: string;
  source: Context;
  handle(message: IntegrationMessage): Promise<void>;
}

type Handlers = { [K in keyof IntegrationEvents]?: (data: IntegrationEvents[K]) => Promise<void> };

function subscription(service: ServiceName, group: string, source: Context, handlers: Handlers): Subscription {
  return {
    service,
    group,
    source,
    async handle(message) {
      const handler = handlers[message.type] as ((data: unknown) => Promise<void>) | undefined;
      await handler?.(message.data);
    },
  };
}

export function fulfilmentSubscriptions(style: SagaStyle, services: ShopServices, clock: Clock): Subscription[] {
  const { orders, payments, inventory, shipping } = services;
  if (style === 'orchestration') {
    const inputs = new Set<string>(FULFILMENT_INPUTS);
    const saga = async (message: IntegrationMessage) => {
      if (!inputs.has(message.type)) return;
      await services.repositories.fulfilment.handle(message.data.orderId, message as FulfilmentInput);
    };
    const sagaSources: Context[] = ['orders', 'payments', 'inventory', 'shipping'];
    return [
      ...sagaSources.map((source): Subscription => ({ service: 'orders', group: 'fulfilment-saga', source, handle: saga })),
      subscription('payments', 'payments', 'fulfilment', {
        FulfilmentPaymentRequested: (d) => payments.authorize(d),
        FulfilmentCaptureRequested: (d) => payments.capture(d.orderId),
        FulfilmentPaymentVoidRequested: (d) => payments.void(d.orderId, d.reason),
      }),
      subscription('inventory', 'inventory', 'fulfilment', {
        FulfilmentStockRequested: (d) => inventory.reserve(d.orderId, d.lines),
        FulfilmentStockCommitRequested: (d) => inventory.commit(d.orderId),
        FulfilmentStockReleaseRequested: (d) => inventory.release(d.orderId, d.reason),
      }),
      subscription('shipping', 'shipping', 'fulfilment', {
        FulfilmentShipmentRequested: (d) => shipping.schedule(d, clock.now()),
        FulfilmentShipmentCancelRequested: (d) => shipping.cancel(d.orderId, d.reason),
      }),
      subscription('orders', 'orders', 'fulfilment', {
        FulfilmentOrderCompletionRequested: (d) => orders.complete(d.orderId),
        FulfilmentOrderRejectionRequested: (d) => orders.reject(d.orderId, d.reason),
      }),
    ];
  }
  return [
    subscription('payments', 'payments', 'orders', {
      OrderPlaced: (d) => payments.authorize({ orderId: d.orderId, customerId: d.customerId, amount: d.total, paymentToken: d.paymentToken }),
      OrderCompleted: (d) => payments.capture(d.orderId),
      OrderCancelled: (d) => payments.void(d.orderId, 'cancelled'),
      OrderRejected: (d) => payments.void(d.orderId, d.reason),
    }),
    subscription('inventory', 'inventory', 'orders', {
      OrderPlaced: (d) => inventory.reserve(d.orderId, d.lines),
      OrderCompleted: (d) => inventory.commit(d.orderId),
      OrderCancelled: (d) => inventory.release(d.orderId, 'cancelled'),
      OrderRejected: (d) => inventory.release(d.orderId, d.reason),
    }),
    subscription('shipping', 'shipping', 'orders', {
      OrderReadyForShipment: (d) => shipping.schedule(d, clock.now()),
      OrderCancelled: (d) => shipping.cancel(d.orderId, 'cancelled'),
    }),
    subscription('orders', 'orders', 'payments', {
      PaymentAuthorized: (d) => orders.confirm(d.orderId, 'payment'),
      PaymentDeclined: (d) => orders.reject(d.orderId, 'payment_declined'),
    }),
    subscription('orders', 'orders', 'inventory', {
      ReservationConfirmed: (d) => orders.confirm(d.orderId, 'stock'),
      ReservationRejected: (d) => orders.reject(d.orderId, 'out_of_stock'),
    }),
    subscription('orders', 'orders', 'shipping', {
      ShipmentScheduled: (d) => orders.complete(d.orderId),
    }),
  ];
}

export { DESTINATIONS };
