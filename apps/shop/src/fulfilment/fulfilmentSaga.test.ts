import { fold } from '@eventfold/core';
import { deciderFixture } from '@eventfold/core/testing';
import { describe, expect, test } from 'vitest';
import { type FulfilmentEvent, type FulfilmentInput, fulfilmentSaga } from './fulfilmentSaga.js';

const address = { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' };
const lines = [{ sku: 'TEA-001', quantity: 2, unitPrice: 1250 }];
const placed: FulfilmentInput = {
  type: 'OrderPlaced',
  data: { orderId: 'o1', customerId: 'ada', lines, total: 2500, shippingAddress: address, paymentToken: 'tok_visa' },
};
const saga = deciderFixture(fulfilmentSaga);

/** Runs inputs through the saga, collecting every event it records (its commands included). */
function run(inputs: readonly FulfilmentInput[]): FulfilmentEvent[] {
  const log: FulfilmentEvent[] = [];
  let state = fulfilmentSaga.initialState();
  for (const input of inputs) {
    const decided = fulfilmentSaga.decide(input, state);
    const events = Array.isArray(decided) ? decided : [decided as FulfilmentEvent];
    log.push(...events);
    state = fold(fulfilmentSaga, state, events);
  }
  return log;
}
const commands = (log: FulfilmentEvent[]) => log.map((e) => e.type).filter((t) => t.endsWith('Requested'));
const last = (log: FulfilmentEvent[]) => log.at(-1)?.type;

describe('order fulfilment saga (orchestration)', () => {
  test('starts by requesting the payment', () => {
    saga
      .given([])
      .when(placed)
      .then([
        { type: 'FulfilmentStarted', data: { orderId: 'o1', customerId: 'ada', total: 2500, lines, shippingAddress: address } },
        { type: 'FulfilmentPaymentRequested', data: { orderId: 'o1', customerId: 'ada', amount: 2500, paymentToken: 'tok_visa' } },
      ]);
  });

  test('happy path: payment → stock → shipment → completion → capture + commit → Completed', () => {
    const log = run([
      placed,
      { type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 2500 } },
      { type: 'ReservationConfirmed', data: { orderId: 'o1', lines: [{ sku: 'TEA-001', quantity: 2 }] } },
      { type: 'ShipmentScheduled', data: { orderId: 'o1', trackingNumber: 'T' } },
      { type: 'OrderCompleted', data: { orderId: 'o1', total: 2500 } },
      { type: 'PaymentCaptured', data: { orderId: 'o1', amount: 2500 } },
      { type: 'ReservationCommitted', data: { orderId: 'o1' } },
    ]);
    expect(commands(log)).toEqual([
      'FulfilmentPaymentRequested',
      'FulfilmentStockRequested',
      'FulfilmentShipmentRequested',
      'FulfilmentOrderCompletionRequested',
      'FulfilmentCaptureRequested',
      'FulfilmentStockCommitRequested',
    ]);
    expect(last(log)).toBe('FulfilmentCompleted');
  });

  test('payment declined: the order is rejected, nothing to compensate', () => {
    const log = run([placed, { type: 'PaymentDeclined', data: { orderId: 'o1', reason: 'card_declined' } }]);
    expect(commands(log)).toEqual(['FulfilmentPaymentRequested', 'FulfilmentOrderRejectionRequested']);
    expect(last(log)).toBe('FulfilmentFailed');
  });

  test('out of stock after payment: the payment is voided, then the order rejected', () => {
    const log = run([
      placed,
      { type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 2500 } },
      { type: 'ReservationRejected', data: { orderId: 'o1', sku: 'TEA-001', requested: 2, available: 0 } },
    ]);
    expect(commands(log).slice(-1)).toEqual(['FulfilmentPaymentVoidRequested']);
    const finished = run([
      placed,
      { type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 2500 } },
      { type: 'ReservationRejected', data: { orderId: 'o1', sku: 'TEA-001', requested: 2, available: 0 } },
      { type: 'PaymentVoided', data: { orderId: 'o1', amount: 2500, reason: 'out_of_stock' } },
    ]);
    expect(finished.slice(-2).map((e) => e.type)).toEqual(['FulfilmentOrderRejectionRequested', 'FulfilmentFailed']);
  });

  test('cancellation after shipment was requested compensates every step in reverse order, then ends Compensated', () => {
    const log = run([
      placed,
      { type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 2500 } },
      { type: 'ReservationConfirmed', data: { orderId: 'o1', lines: [{ sku: 'TEA-001', quantity: 2 }] } },
      { type: 'OrderCancelled', data: { orderId: 'o1', reason: 'changed mind' } },
      { type: 'ShipmentScheduled', data: { orderId: 'o1', trackingNumber: 'T' } },
      { type: 'ShipmentCancelled', data: { orderId: 'o1', reason: 'cancelled' } },
      { type: 'ReservationReleased', data: { orderId: 'o1', reason: 'cancelled' } },
      { type: 'PaymentVoided', data: { orderId: 'o1', amount: 2500, reason: 'cancelled' } },
    ]);
    expect(commands(log).slice(-3)).toEqual(['FulfilmentShipmentCancelRequested', 'FulfilmentStockReleaseRequested', 'FulfilmentPaymentVoidRequested']);
    expect(last(log)).toBe('FulfilmentCompensated');
  });

  test('late and duplicate replies after the end change nothing', () => {
    const done = run([placed, { type: 'PaymentDeclined', data: { orderId: 'o1', reason: 'card_declined' } }]);
    saga
      .given(done)
      .when({ type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 2500 } })
      .then([]);
    saga
      .given(done)
      .when({ type: 'OrderCancelled', data: { orderId: 'o1', reason: 'x' } })
      .then([]);
  });
});
