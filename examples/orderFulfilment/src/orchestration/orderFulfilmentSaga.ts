/**
 * Order fulfilment, orchestrated: payment → stock reservation → shipping. A failed step compensates
 * the steps before it in reverse order (release the stock, refund the payment); a step that times
 * out is compensated too, because its action may have happened after all. Once shipping is
 * scheduled the saga captures the payment and commits the stock.
 */
import { defineSaga, type SagaCommand } from '@eventfold/core';
import type { OrderLine, ShopEvent } from '../messages.js';

export interface OrderFulfilmentTimeouts {
  paymentMs: number;
  stockMs: number;
  shippingMs: number;
  /** Each compensation, per attempt. */
  compensationMs: number;
}

export const DEFAULT_TIMEOUTS: OrderFulfilmentTimeouts = { paymentMs: 30_000, stockMs: 30_000, shippingMs: 60_000, compensationMs: 30_000 };

export function defineOrderFulfilment(timeouts: OrderFulfilmentTimeouts = DEFAULT_TIMEOUTS) {
  const compensationRetry = { maxAttempts: 5, initialDelayMs: 1_000, multiplier: 2 };
  return defineSaga<OrderLine, ShopEvent>({
    name: 'OrderFulfilment',
    startedBy: { OrderPlaced: (event) => ({ sagaId: event.data.orderId, data: event.data }) },
    associate: (event) => ('orderId' in event.data ? event.data.orderId : undefined),
    steps: [
      {
        name: 'payment',
        action: (o) => ({ type: 'ChargePayment', data: { orderId: o.orderId, amount: o.amount, card: o.card }, to: 'payments' }),
        replies: { PaymentCharged: 'ok', PaymentDeclined: (e) => ({ outcome: 'fail', reason: `payment declined: ${e.data.reason}` }) },
        timeoutMs: timeouts.paymentMs,
        compensation: {
          action: (o) => ({ type: 'RefundPayment', data: { orderId: o.orderId }, to: 'payments' }),
          replies: { PaymentRefunded: 'ok', PaymentVoided: 'ok' },
          timeoutMs: timeouts.compensationMs,
          retry: compensationRetry,
        },
      },
      {
        name: 'stock',
        action: (o) => ({ type: 'ReserveStock', data: { orderId: o.orderId, sku: o.sku, qty: o.qty }, to: 'inventory' }),
        replies: { StockReserved: 'ok', StockReservationRejected: (e) => ({ outcome: 'fail', reason: `stock: ${e.data.reason}` }) },
        timeoutMs: timeouts.stockMs,
        compensation: {
          action: (o) => ({ type: 'ReleaseStock', data: { orderId: o.orderId, sku: o.sku }, to: 'inventory' }),
          replies: { StockReleased: 'ok', StockReservationCancelled: 'ok' },
          timeoutMs: timeouts.compensationMs,
          retry: compensationRetry,
        },
      },
      {
        name: 'shipping',
        action: (o) => ({ type: 'ShipOrder', data: { orderId: o.orderId, address: o.address }, to: 'shipping' }),
        replies: { ShipmentScheduled: 'ok', ShipmentRejected: (e) => ({ outcome: 'fail', reason: `shipping: ${e.data.reason}` }) },
        timeoutMs: timeouts.shippingMs,
        compensation: {
          action: (o) => ({ type: 'CancelShipment', data: { orderId: o.orderId, reason: 'order fulfilment failed' }, to: 'shipping' }),
          replies: { ShipmentCancelled: 'ok' },
          timeoutMs: timeouts.compensationMs,
          retry: compensationRetry,
        },
      },
    ],
    onCompleted: (o): SagaCommand[] => [
      { type: 'CapturePayment', data: { orderId: o.orderId }, to: 'payments' },
      { type: 'CommitStock', data: { orderId: o.orderId, sku: o.sku }, to: 'inventory' },
    ],
  });
}

export const orderFulfilment = defineOrderFulfilment();
