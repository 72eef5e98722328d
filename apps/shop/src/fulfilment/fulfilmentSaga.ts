/**
 * Orchestrated order fulfilment on the saga machinery (`defineSaga`): payment → stock reservation →
 * shipment → order completion → payment capture → stock commit. Its inputs are the other contexts'
 * integration events; its commands are the `Fulfilment…Requested` contracts, recorded in the saga log
 * (`saga-Fulfilment-<orderId>`) and delivered by the relay on `shop.fulfilment`. A failed step
 * compensates the earlier ones in reverse; a cancellation compensates the step in flight as well.
 * Every saga ends Completed, Compensated or NeedsAttention (a compensation that never got confirmed).
 */
import { defineSaga, type SagaCommand, type SagaStep } from '@eventfold/core';
import type { IntegrationEvents, IntegrationMessage } from '../contracts/integrationEvents.js';
import type { RejectionReason, ShippingAddress } from '../orders/orderDecider.js';

export const FULFILMENT_SAGA = 'Fulfilment';

/** What the saga keeps about its order (the saga log's `SagaStarted` and `SagaStepSucceeded` data). */
export type FulfilmentData = {
  orderId: string;
  customerId: string;
  total: number;
  paymentToken: string;
  lines: { sku: string; quantity: number }[];
  shippingAddress: ShippingAddress;
  /** The payment was authorized: a later failure undoes stock, not payment, first. */
  paid: boolean;
};

export type FulfilmentInput = Extract<
  IntegrationMessage,
  {
    type:
      | 'OrderPlaced'
      | 'OrderCompleted'
      | 'OrderCancelled'
      | 'PaymentAuthorized'
      | 'PaymentDeclined'
      | 'PaymentCaptured'
      | 'PaymentVoided'
      | 'PaymentRefunded'
      | 'PaymentCancelled'
      | 'ReservationConfirmed'
      | 'ReservationRejected'
      | 'ReservationReleased'
      | 'ReservationCommitted'
      | 'ShipmentScheduled'
      | 'ShipmentCancelled';
  }
>;

/** Where each command goes (`SagaCommand.to`): the service that obeys it. */
export type FulfilmentTarget = 'orders' | 'payments' | 'inventory' | 'shipping';
type CommandType = keyof IntegrationEvents & `Fulfilment${string}Requested`;

function command<K extends CommandType>(type: K, data: IntegrationEvents[K], to: FulfilmentTarget): SagaCommand {
  return { type, data, to };
}

/**
 * A command that got no answer is sent again (the services are idempotent per order), with backoff,
 * for minutes: a service that restarts (the distributed e2e test kills payments) loses nothing.
 */
const ACTION_TIMEOUT_MS = 30_000;
const ACTION_RETRY = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 30_000 };
/**
 * After the order completed nothing may be undone: capture and stock commit are asked again, at most a
 * minute apart, for about a week (each attempt visible in the saga log) rather than compensated.
 */
const SETTLEMENT_RETRY = { maxAttempts: 10_000, initialDelayMs: 1_000, maxDelayMs: 60_000 };
/** A compensation that is never confirmed within its budget puts the saga in NeedsAttention (operator API). */
const COMPENSATION = { timeoutMs: 30_000, retry: { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 30_000 } };

/** The order was cancelled while this step's command was out: its action may still happen, so it is undone too. */
const CANCELLED = { OrderCancelled: () => ({ outcome: 'fail', reason: 'cancelled', compensateStep: true }) as const };

const steps: SagaStep<FulfilmentData, FulfilmentInput>[] = [
  {
    name: 'payment',
    action: (d) =>
      command('FulfilmentPaymentRequested', { orderId: d.orderId, customerId: d.customerId, amount: d.total, paymentToken: d.paymentToken }, 'payments'),
    replies: {
      PaymentAuthorized: (_e, d) => ({ outcome: 'ok', data: { ...d, paid: true } }),
      PaymentDeclined: () => ({ outcome: 'fail', reason: 'payment_declined' }),
      ...CANCELLED,
    },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: ACTION_RETRY,
    compensation: {
      action: (d) => command('FulfilmentPaymentVoidRequested', { orderId: d.orderId, reason: 'fulfilment compensated' }, 'payments'),
      // Whatever the payment holds nothing any more: voided, refunded, cancelled before it arrived, or declined.
      replies: { PaymentVoided: 'ok', PaymentRefunded: 'ok', PaymentCancelled: 'ok', PaymentDeclined: 'ok' },
      ...COMPENSATION,
    },
  },
  {
    name: 'stock',
    action: (d) => command('FulfilmentStockRequested', { orderId: d.orderId, lines: d.lines }, 'inventory'),
    replies: { ReservationConfirmed: 'ok', ReservationRejected: () => ({ outcome: 'fail', reason: 'out_of_stock' }), ...CANCELLED },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: ACTION_RETRY,
    compensation: {
      action: (d) => command('FulfilmentStockReleaseRequested', { orderId: d.orderId, reason: 'fulfilment compensated' }, 'inventory'),
      replies: { ReservationReleased: 'ok', ReservationRejected: 'ok' },
      ...COMPENSATION,
    },
  },
  {
    name: 'shipment',
    action: (d) => command('FulfilmentShipmentRequested', { orderId: d.orderId, lines: d.lines, shippingAddress: d.shippingAddress }, 'shipping'),
    replies: { ShipmentScheduled: 'ok', ...CANCELLED },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: ACTION_RETRY,
    compensation: {
      action: (d) => command('FulfilmentShipmentCancelRequested', { orderId: d.orderId, reason: 'fulfilment compensated' }, 'shipping'),
      replies: { ShipmentCancelled: 'ok' },
      ...COMPENSATION,
    },
  },
  {
    // The order stream arbitrates completion against cancellation: whichever it records first wins.
    name: 'completion',
    action: (d) => command('FulfilmentOrderCompletionRequested', { orderId: d.orderId }, 'orders'),
    replies: { OrderCompleted: 'ok', ...CANCELLED },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: ACTION_RETRY,
  },
  // The order is completed: from here the saga only settles (SETTLEMENT_RETRY). It ends Completed once
  // the money is captured and the stock shipped.
  {
    name: 'capture',
    action: (d) => command('FulfilmentCaptureRequested', { orderId: d.orderId }, 'payments'),
    replies: { PaymentCaptured: 'ok' },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: SETTLEMENT_RETRY,
  },
  {
    name: 'commit',
    action: (d) => command('FulfilmentStockCommitRequested', { orderId: d.orderId }, 'inventory'),
    replies: { ReservationCommitted: 'ok' },
    timeoutMs: ACTION_TIMEOUT_MS,
    retry: SETTLEMENT_RETRY,
  },
];

const REJECTIONS: readonly string[] = ['payment_declined', 'out_of_stock'] satisfies RejectionReason[];

/** The order's rejection reason for a failed saga; a step that never answered counts against the step it stopped at. */
export function rejectionFor(reason: string, data: FulfilmentData): RejectionReason | undefined {
  if (reason === 'cancelled') return undefined;
  if (REJECTIONS.includes(reason)) return reason as RejectionReason;
  return data.paid ? 'out_of_stock' : 'payment_declined';
}

export const fulfilmentSaga = defineSaga<FulfilmentData, FulfilmentInput>({
  name: FULFILMENT_SAGA,
  startedBy: {
    OrderPlaced: ({ data }) => ({
      sagaId: data.orderId,
      data: {
        orderId: data.orderId,
        customerId: data.customerId,
        total: data.total,
        paymentToken: data.paymentToken,
        lines: data.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        shippingAddress: data.shippingAddress,
        paid: false,
      },
    }),
  },
  associate: (event) => event.data.orderId,
  steps,
  onCompensated: (d, { reason }) => {
    const rejection = rejectionFor(reason, d);
    return rejection === undefined ? [] : [command('FulfilmentOrderRejectionRequested', { orderId: d.orderId, reason: rejection }, 'orders')];
  },
});

/** Event types the saga reads (start and replies): what its consumers take from the other contexts. */
export const FULFILMENT_INPUTS: ReadonlySet<string> = new Set([...fulfilmentSaga.startTypes, ...fulfilmentSaga.replyTypes]);
