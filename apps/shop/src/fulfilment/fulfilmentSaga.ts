/**
 * Orchestrated order fulfilment as a decider over the saga log (stream `fulfilment-<orderId>`):
 * payment → stock reservation → shipment → order completion → capture + stock commit. Its inputs are
 * the other contexts' integration events; its outputs are `…Requested` events that the relay delivers
 * to the services as commands (recorded first, so there is no dual write). A cancellation compensates
 * every requested step; a failed step compensates the earlier ones. It always ends Completed, Failed
 * or Compensated.
 */
import { defineDecider } from '@eventfold/core';
import type { IntegrationEvents, IntegrationMessage } from '../contracts/integrationEvents.js';
import type { OrderLine, RejectionReason, ShippingAddress } from '../orders/orderDecider.js';

export type FulfilmentStep = 'none' | 'payment' | 'stock' | 'shipment' | 'completing' | 'capturing' | 'compensating' | 'completed' | 'failed' | 'compensated';
export const TERMINAL_FULFILMENT_STEPS: readonly FulfilmentStep[] = ['completed', 'failed', 'compensated'];

type Part = 'payment' | 'stock' | 'shipment';

export interface FulfilmentState {
  step: FulfilmentStep;
  orderId: string;
  lines: { sku: string; quantity: number }[];
  shippingAddress: ShippingAddress | undefined;
  /** Steps whose command was sent (what a compensation must undo). */
  requested: Part[];
  /** Compensations still waiting for their reply. */
  awaiting: Part[];
  captured: boolean;
  committed: boolean;
  /** Why compensation started: 'cancelled', or the rejection reason to report to orders. */
  reason: string | undefined;
}

type Requested = { [K in keyof IntegrationEvents & `Fulfilment${string}Requested`]: { type: K; data: IntegrationEvents[K] } }[keyof IntegrationEvents &
  `Fulfilment${string}Requested`];

export type FulfilmentEvent =
  | {
      type: 'FulfilmentStarted';
      data: { orderId: string; customerId: string; total: number; lines: OrderLine[]; shippingAddress: ShippingAddress };
    }
  | Requested
  | { type: 'FulfilmentCompensationStarted'; data: { orderId: string; reason: string; awaiting: Part[] } }
  | { type: 'FulfilmentPartSettled'; data: { orderId: string; part: Part; outcome: string } }
  | { type: 'FulfilmentPaymentCaptured'; data: { orderId: string } }
  | { type: 'FulfilmentStockCommitted'; data: { orderId: string } }
  | { type: 'FulfilmentCompleted'; data: { orderId: string } }
  | { type: 'FulfilmentFailed'; data: { orderId: string; reason: RejectionReason } }
  | { type: 'FulfilmentCompensated'; data: { orderId: string; reason: string } };

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
export const FULFILMENT_INPUTS: readonly FulfilmentInput['type'][] = [
  'OrderPlaced',
  'OrderCompleted',
  'OrderCancelled',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'PaymentVoided',
  'PaymentRefunded',
  'PaymentCancelled',
  'ReservationConfirmed',
  'ReservationRejected',
  'ReservationReleased',
  'ReservationCommitted',
  'ShipmentScheduled',
  'ShipmentCancelled',
];

/** Replies that settle a compensation: the part holds nothing any more. */
const SETTLES: Partial<Record<FulfilmentInput['type'], Part>> = {
  PaymentDeclined: 'payment',
  PaymentVoided: 'payment',
  PaymentRefunded: 'payment',
  PaymentCancelled: 'payment',
  ReservationRejected: 'stock',
  ReservationReleased: 'stock',
  ShipmentCancelled: 'shipment',
};

function compensate(state: FulfilmentState, reason: string): FulfilmentEvent[] {
  const { orderId } = state;
  const awaiting = [...state.requested];
  const events: FulfilmentEvent[] = [{ type: 'FulfilmentCompensationStarted', data: { orderId, reason, awaiting } }];
  // Reverse order of the forward steps: ship last, cancel first.
  if (awaiting.includes('shipment')) events.push({ type: 'FulfilmentShipmentCancelRequested', data: { orderId, reason } });
  if (awaiting.includes('stock')) events.push({ type: 'FulfilmentStockReleaseRequested', data: { orderId, reason } });
  if (awaiting.includes('payment')) events.push({ type: 'FulfilmentPaymentVoidRequested', data: { orderId, reason } });
  if (awaiting.length === 0) events.push(...finish(state, reason));
  return events;
}

function finish(state: FulfilmentState, reason: string): FulfilmentEvent[] {
  const { orderId } = state;
  if (reason === 'cancelled') return [{ type: 'FulfilmentCompensated', data: { orderId, reason } }];
  const rejection = reason as RejectionReason;
  return [
    { type: 'FulfilmentOrderRejectionRequested', data: { orderId, reason: rejection } },
    { type: 'FulfilmentFailed', data: { orderId, reason: rejection } },
  ];
}

export const fulfilmentSaga = defineDecider<FulfilmentState, FulfilmentInput, FulfilmentEvent>({
  name: 'Fulfilment',
  eventTypes: [
    'FulfilmentStarted',
    'FulfilmentPaymentRequested',
    'FulfilmentStockRequested',
    'FulfilmentShipmentRequested',
    'FulfilmentOrderCompletionRequested',
    'FulfilmentOrderRejectionRequested',
    'FulfilmentCaptureRequested',
    'FulfilmentStockCommitRequested',
    'FulfilmentPaymentVoidRequested',
    'FulfilmentStockReleaseRequested',
    'FulfilmentShipmentCancelRequested',
    'FulfilmentCompensationStarted',
    'FulfilmentPartSettled',
    'FulfilmentPaymentCaptured',
    'FulfilmentStockCommitted',
    'FulfilmentCompleted',
    'FulfilmentFailed',
    'FulfilmentCompensated',
  ],
  initialState: () => ({
    step: 'none',
    orderId: '',
    lines: [],
    shippingAddress: undefined,
    requested: [],
    awaiting: [],
    captured: false,
    committed: false,
    reason: undefined,
  }),
  decide(input, state) {
    const { orderId } = input.data;
    if (TERMINAL_FULFILMENT_STEPS.includes(state.step)) return []; // late or duplicate replies change nothing
    if (input.type === 'OrderPlaced') {
      if (state.step !== 'none') return [];
      const { customerId, total, lines, shippingAddress, paymentToken } = input.data;
      return [
        { type: 'FulfilmentStarted', data: { orderId, customerId, total, lines, shippingAddress } },
        { type: 'FulfilmentPaymentRequested', data: { orderId, customerId, amount: total, paymentToken } },
      ];
    }
    if (state.step === 'none') return []; // a reply before the saga started cannot be ours
    if (input.type === 'OrderCancelled') {
      return ['payment', 'stock', 'shipment', 'completing'].includes(state.step) ? compensate(state, 'cancelled') : [];
    }
    if (state.step === 'compensating') {
      const part = SETTLES[input.type];
      if (part === undefined || !state.awaiting.includes(part)) return [];
      const events: FulfilmentEvent[] = [{ type: 'FulfilmentPartSettled', data: { orderId, part, outcome: input.type } }];
      if (state.awaiting.length === 1) events.push(...finish(state, state.reason ?? 'cancelled'));
      return events;
    }
    switch (input.type) {
      case 'PaymentAuthorized':
        return state.step === 'payment' ? { type: 'FulfilmentStockRequested', data: { orderId, lines: state.lines } } : [];
      case 'PaymentDeclined':
        // The declined payment holds nothing; no earlier step to undo.
        return state.step === 'payment' ? finish({ ...state, requested: [] }, 'payment_declined') : [];
      case 'ReservationConfirmed':
        return state.step === 'stock' && state.shippingAddress
          ? { type: 'FulfilmentShipmentRequested', data: { orderId, lines: state.lines, shippingAddress: state.shippingAddress } }
          : [];
      case 'ReservationRejected':
        // Nothing was reserved: only the payment needs undoing.
        return state.step === 'stock' ? compensate({ ...state, requested: ['payment'] }, 'out_of_stock') : [];
      case 'ShipmentScheduled':
        return state.step === 'shipment' ? { type: 'FulfilmentOrderCompletionRequested', data: { orderId } } : [];
      case 'OrderCompleted':
        return state.step === 'completing'
          ? [
              { type: 'FulfilmentCaptureRequested', data: { orderId } },
              { type: 'FulfilmentStockCommitRequested', data: { orderId } },
            ]
          : [];
      case 'PaymentCaptured':
      case 'ReservationCommitted': {
        if (state.step !== 'capturing') return [];
        const captured = state.captured || input.type === 'PaymentCaptured';
        const committed = state.committed || input.type === 'ReservationCommitted';
        if ((input.type === 'PaymentCaptured' && state.captured) || (input.type === 'ReservationCommitted' && state.committed)) return [];
        const events: FulfilmentEvent[] = [
          input.type === 'PaymentCaptured' ? { type: 'FulfilmentPaymentCaptured', data: { orderId } } : { type: 'FulfilmentStockCommitted', data: { orderId } },
        ];
        if (captured && committed) events.push({ type: 'FulfilmentCompleted', data: { orderId } });
        return events;
      }
      default:
        return [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'FulfilmentStarted':
        return {
          ...state,
          step: 'payment',
          orderId: event.data.orderId,
          lines: event.data.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
          shippingAddress: event.data.shippingAddress,
        };
      case 'FulfilmentPaymentRequested':
        return { ...state, requested: [...state.requested, 'payment'] };
      case 'FulfilmentStockRequested':
        return { ...state, step: 'stock', requested: [...state.requested, 'stock'] };
      case 'FulfilmentShipmentRequested':
        return { ...state, step: 'shipment', requested: [...state.requested, 'shipment'] };
      case 'FulfilmentOrderCompletionRequested':
        return { ...state, step: 'completing' };
      case 'FulfilmentCaptureRequested':
        return { ...state, step: 'capturing' };
      case 'FulfilmentCompensationStarted':
        return { ...state, step: 'compensating', reason: event.data.reason, awaiting: event.data.awaiting };
      case 'FulfilmentPartSettled':
        return { ...state, awaiting: state.awaiting.filter((p) => p !== event.data.part) };
      case 'FulfilmentPaymentCaptured':
        return { ...state, captured: true };
      case 'FulfilmentStockCommitted':
        return { ...state, committed: true };
      case 'FulfilmentCompleted':
        return { ...state, step: 'completed' };
      case 'FulfilmentFailed':
        return { ...state, step: 'failed', reason: event.data.reason };
      case 'FulfilmentCompensated':
        return { ...state, step: 'compensated' };
      default:
        return state;
    }
  },
});
