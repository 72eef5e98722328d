/**
 * Order fulfilment, choreographed: no coordinator. Each service reacts to the others' events —
 * payments charges on OrderPlaced, inventory reserves on PaymentCharged, shipping ships on
 * StockReserved — and failures flow back the same way: a rejected or cancelled shipment releases the
 * stock, released or rejected stock refunds the payment. The orders service watches the shipping
 * deadline (a durable timer) and closes the order.
 */
import { defineReaction, type Reaction } from '@eventfold/core';
import type { OrderLine, ShopEvent } from '../messages.js';
import type { ShopServices } from '../services/createShopServices.js';

type On<T extends ShopEvent['type']> = Extract<ShopEvent, { type: T }>;

export function orderReactions(services: ShopServices, options: { shippingDeadlineMs: number }) {
  const line = async (orderId: string): Promise<OrderLine> => {
    const found = (await services.orders.load(orderId)).state.line;
    if (found === undefined) throw new Error(`order ${orderId} is unknown to the orders service`);
    return found;
  };

  const payments: Reaction<ShopEvent>[] = [
    defineReaction<On<'OrderPlaced'>>({
      name: 'ChargeOnOrderPlaced',
      on: ['OrderPlaced'],
      handle: async (e) => {
        await services.handle({ type: 'ChargePayment', data: { orderId: e.data.orderId, amount: e.data.amount, card: e.data.card } });
      },
    }),
    defineReaction<On<'StockReservationRejected' | 'StockReleased'>>({
      name: 'RefundWhenStockFails',
      on: ['StockReservationRejected', 'StockReleased'],
      handle: async (e) => {
        await services.handle({ type: 'RefundPayment', data: { orderId: e.data.orderId } });
      },
    }),
    defineReaction<On<'ShipmentScheduled'>>({
      name: 'CaptureOnShipmentScheduled',
      on: ['ShipmentScheduled'],
      handle: async (e) => {
        await services.handle({ type: 'CapturePayment', data: { orderId: e.data.orderId } });
      },
    }),
  ] as Reaction<ShopEvent>[];

  const inventory: Reaction<ShopEvent>[] = [
    defineReaction<On<'PaymentCharged'>>({
      name: 'ReserveOnPaymentCharged',
      on: ['PaymentCharged'],
      handle: async (e) => {
        const o = await line(e.data.orderId);
        await services.handle({ type: 'ReserveStock', data: { orderId: o.orderId, sku: o.sku, qty: o.qty } });
      },
    }),
    defineReaction<On<'ShipmentRejected' | 'ShipmentCancelled'>>({
      name: 'ReleaseWhenShippingFails',
      on: ['ShipmentRejected', 'ShipmentCancelled'],
      handle: async (e) => {
        const o = await line(e.data.orderId);
        await services.handle({ type: 'ReleaseStock', data: { orderId: o.orderId, sku: o.sku } });
      },
    }),
    defineReaction<On<'ShipmentScheduled'>>({
      name: 'CommitOnShipmentScheduled',
      on: ['ShipmentScheduled'],
      handle: async (e) => {
        const o = await line(e.data.orderId);
        await services.handle({ type: 'CommitStock', data: { orderId: o.orderId, sku: o.sku } });
      },
    }),
  ] as Reaction<ShopEvent>[];

  const shipping: Reaction<ShopEvent>[] = [
    defineReaction<On<'StockReserved'>>({
      name: 'ShipOnStockReserved',
      on: ['StockReserved'],
      handle: async (e) => {
        const o = await line(e.data.orderId);
        await services.handle({ type: 'ShipOrder', data: { orderId: o.orderId, address: o.address } });
      },
    }),
  ] as Reaction<ShopEvent>[];

  const orders: Reaction<ShopEvent>[] = [
    defineReaction<On<'StockReserved'>>({
      name: 'ShippingDeadline',
      on: ['StockReserved'],
      handle: (e, context) => context.schedule(options.shippingDeadlineMs, { orderId: e.data.orderId }),
      // Shipping decides atomically: cancelled only if it was not scheduled in time.
      onTimer: async (payload) => {
        await services.handle({ type: 'ExpireShipment', data: { orderId: (payload as { orderId: string }).orderId } });
      },
    }),
    defineReaction<On<'PaymentCaptured'>>({
      name: 'CompleteOnPaymentCaptured',
      on: ['PaymentCaptured'],
      handle: async (e) => {
        await services.handle({ type: 'CompleteOrder', data: { orderId: e.data.orderId } });
      },
    }),
    defineReaction<On<'PaymentDeclined' | 'PaymentRefunded'>>({
      name: 'CancelWhenPaymentUndone',
      on: ['PaymentDeclined', 'PaymentRefunded'],
      handle: async (e) => {
        await services.handle({
          type: 'CancelOrder',
          data: { orderId: e.data.orderId, reason: e.type === 'PaymentDeclined' ? 'payment declined' : 'refunded' },
        });
      },
    }),
  ] as Reaction<ShopEvent>[];

  return { payments, inventory, shipping, orders };
}
