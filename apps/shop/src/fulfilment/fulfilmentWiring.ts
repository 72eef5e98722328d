/**
 * Who listens to what, per saga style. Orchestration: the fulfilment saga (run beside the orders
 * service) consumes every context's replies and hands them to the saga engine; its commands reach the
 * services through `shop.fulfilment`, and the services only obey. Choreography: no coordinator — each service reacts to the others' facts, and
 * the order stream joins payment and stock confirmations before shipping.
 */
import { type Clock, currentMessageContext, InvalidInputError } from '@eventfold/core';
import type { SagaStyle, ServiceName } from '../config/loadConfig.js';
import { type Context, DESTINATIONS, type IntegrationEvents, type IntegrationMessage } from '../contracts/integrationEvents.js';
import type { ShopServices } from '../shopServices.js';
import type { FulfilmentInbox } from './createFulfilment.js';
import { FULFILMENT_INPUTS } from './fulfilmentSaga.js';

/** One consumer group on one destination, run by the process that runs `service`. */
export interface Subscription {
  service: ServiceName;
  group: string;
  source: Context;
  /** The message types it acts on; any other contract type on its destination is not for it. */
  types: ReadonlySet<string>;
  handle(message: IntegrationMessage): Promise<void>;
}

type Handlers = { [K in keyof IntegrationEvents]?: (data: IntegrationEvents[K]) => Promise<void> };

function subscription(service: ServiceName, group: string, source: Context, handlers: Handlers): Subscription {
  return {
    service,
    group,
    source,
    types: new Set(Object.keys(handlers)),
    async handle(message) {
      const handler = handlers[message.type] as ((data: unknown) => Promise<void>) | undefined;
      await handler?.(message.data);
    },
  };
}

/**
 * @param saga Where the saga's consumers deliver (the process running the orders service); without
 * it the saga subscriptions are listed (for provisioning) but cannot handle messages.
 */
export function fulfilmentSubscriptions(style: SagaStyle, services: ShopServices, clock: Clock, saga?: FulfilmentInbox): Subscription[] {
  const { orders, payments, inventory, shipping } = services;
  if (style === 'orchestration') {
    const deliver = async (message: IntegrationMessage) => {
      if (!FULFILMENT_INPUTS.has(message.type)) return;
      const context = currentMessageContext();
      if (saga === undefined || context === undefined) {
        throw new InvalidInputError('saga', 'the fulfilment saga consumers need the saga engine and a message context; wire them through createShop.');
      }
      await saga.deliver(message, { messageId: context.messageId, correlationId: context.correlationId });
    };
    const sagaSources: Context[] = ['orders', 'payments', 'inventory', 'shipping'];
    return [
      ...sagaSources.map((source): Subscription => ({ service: 'orders', group: 'fulfilment-saga', source, types: FULFILMENT_INPUTS, handle: deliver })),
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
