/**
 * The payments context: one payment per order (stream `payment-<orderId>`). Every command is
 * idempotent in the payment's state, so a redelivered or reordered message has no second effect:
 * money authorised always ends captured, voided or refunded — never twice.
 */
import { type Command, CommandRejectedError, defineDecider } from '@eventfold/core';

/** Card tokens the simulated gateway declines; anything else is approved up to the limit. */
export const DECLINED_TOKEN = 'tok_declined';
/** Largest amount the simulated gateway authorises, in cents. */
export const AUTHORIZATION_LIMIT = 1_000_000;

export type PaymentStatus = 'none' | 'authorized' | 'declined' | 'captured' | 'voided' | 'refunded' | 'cancelled';

export interface PaymentState {
  status: PaymentStatus;
  amount: number;
}

export type PaymentCommand =
  | Command<'AuthorizePayment', { orderId: string; customerId: string; amount: number; paymentToken: string }>
  | Command<'CapturePayment', { orderId: string }>
  | Command<'VoidPayment', { orderId: string; reason: string }>;

export type PaymentEvent =
  | { type: 'PaymentAuthorized'; data: { orderId: string; customerId: string; amount: number } }
  | { type: 'PaymentDeclined'; data: { orderId: string; customerId: string; amount: number; reason: string } }
  | { type: 'PaymentCaptured'; data: { orderId: string; amount: number } }
  | { type: 'PaymentVoided'; data: { orderId: string; amount: number; reason: string } }
  | { type: 'PaymentRefunded'; data: { orderId: string; amount: number; reason: string } }
  | { type: 'PaymentCancelled'; data: { orderId: string; reason: string } };

export const paymentDecider = defineDecider<PaymentState, PaymentCommand, PaymentEvent>({
  name: 'Payment',
  eventTypes: ['PaymentAuthorized', 'PaymentDeclined', 'PaymentCaptured', 'PaymentVoided', 'PaymentRefunded', 'PaymentCancelled'],
  initialState: () => ({ status: 'none', amount: 0 }),
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'AuthorizePayment': {
        if (state.status !== 'none') return []; // decided before, or cancelled before the request arrived
        const { customerId, amount, paymentToken } = command.data;
        if (!Number.isSafeInteger(amount) || amount < 0) throw new CommandRejectedError('InvalidAmount', 'amount must be whole cents ≥ 0.', { amount });
        if (paymentToken === DECLINED_TOKEN) return { type: 'PaymentDeclined', data: { orderId, customerId, amount, reason: 'card_declined' } };
        if (amount > AUTHORIZATION_LIMIT) return { type: 'PaymentDeclined', data: { orderId, customerId, amount, reason: 'limit_exceeded' } };
        return { type: 'PaymentAuthorized', data: { orderId, customerId, amount } };
      }
      case 'CapturePayment':
        return state.status === 'authorized' ? { type: 'PaymentCaptured', data: { orderId, amount: state.amount } } : [];
      case 'VoidPayment': {
        const { reason } = command.data;
        if (state.status === 'authorized') return { type: 'PaymentVoided', data: { orderId, amount: state.amount, reason } };
        if (state.status === 'captured') return { type: 'PaymentRefunded', data: { orderId, amount: state.amount, reason } };
        if (state.status === 'none') return { type: 'PaymentCancelled', data: { orderId, reason } };
        return [];
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'PaymentAuthorized':
        return { status: 'authorized', amount: event.data.amount };
      case 'PaymentDeclined':
        return { status: 'declined', amount: 0 };
      case 'PaymentCaptured':
        return { ...state, status: 'captured' };
      case 'PaymentVoided':
        return { ...state, status: 'voided' };
      case 'PaymentRefunded':
        return { ...state, status: 'refunded' };
      case 'PaymentCancelled':
        return { ...state, status: 'cancelled' };
    }
  },
});
