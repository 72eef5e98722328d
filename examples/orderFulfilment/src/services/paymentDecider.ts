/**
 * The payments service (a fake card processor) as a decider, one stream per order. It is an
 * idempotent receiver: a repeated command finds the state it already caused and does nothing, and a
 * refund that overtakes its charge voids the payment so the late charge is refused.
 */
import { defineDecider } from '@eventfold/core';
import type { PaymentCommand, PaymentEvent } from '../messages.js';

export interface PaymentState {
  status: 'none' | 'charged' | 'declined' | 'refunded' | 'voided' | 'captured';
  amount: number;
}

/** Cards over this amount (cents) are declined, like a card limit. */
export const CARD_LIMIT = 100_000;

export const paymentDecider = defineDecider<PaymentState, PaymentCommand, PaymentEvent>({
  name: 'Payment',
  eventTypes: ['PaymentCharged', 'PaymentDeclined', 'PaymentRefunded', 'PaymentVoided', 'PaymentCaptured'],
  initialState: () => ({ status: 'none', amount: 0 }),
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'ChargePayment':
        if (state.status === 'voided') return { type: 'PaymentDeclined', data: { orderId, reason: 'voided' } };
        if (state.status !== 'none') return [];
        if (command.data.card === 'declined' || command.data.amount > CARD_LIMIT)
          return { type: 'PaymentDeclined', data: { orderId, reason: 'card declined' } };
        return { type: 'PaymentCharged', data: { orderId, amount: command.data.amount } };
      case 'RefundPayment':
        if (state.status === 'charged') return { type: 'PaymentRefunded', data: { orderId, amount: state.amount } };
        if (state.status === 'none') return { type: 'PaymentVoided', data: { orderId } };
        return [];
      case 'CapturePayment':
        return state.status === 'charged' ? { type: 'PaymentCaptured', data: { orderId, amount: state.amount } } : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'PaymentCharged':
        return { status: 'charged', amount: event.data.amount };
      case 'PaymentDeclined':
        return { ...state, status: state.status === 'voided' ? 'voided' : 'declined' };
      case 'PaymentRefunded':
        return { ...state, status: 'refunded' };
      case 'PaymentVoided':
        return { ...state, status: 'voided' };
      case 'PaymentCaptured':
        return { ...state, status: 'captured' };
    }
  },
});
