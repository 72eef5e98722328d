import { sagaFixture } from '@eventfold/core/testing';
import { describe, expect, test } from 'vitest';
import { type FulfilmentData, type FulfilmentInput, fulfilmentSaga, rejectionFor } from './fulfilmentSaga.js';

const address = { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' };
const lines = [{ sku: 'TEA-001', quantity: 2, unitPrice: 1250 }];
const o = 'o1';
const placed: FulfilmentInput = {
  type: 'OrderPlaced',
  data: { orderId: o, customerId: 'ada', lines, total: 2500, shippingAddress: address, paymentToken: 'tok_visa' },
};
const authorized: FulfilmentInput = { type: 'PaymentAuthorized', data: { orderId: o, amount: 2500 } };
const reserved: FulfilmentInput = { type: 'ReservationConfirmed', data: { orderId: o, lines: [{ sku: 'TEA-001', quantity: 2 }] } };
const scheduled: FulfilmentInput = { type: 'ShipmentScheduled', data: { orderId: o, trackingNumber: 'T' } };
const cancelled: FulfilmentInput = { type: 'OrderCancelled', data: { orderId: o, reason: 'changed my mind' } };
const saga = sagaFixture(fulfilmentSaga);

describe('order fulfilment saga (orchestration, on defineSaga)', () => {
  test('starts by requesting the payment, to the payments service', () => {
    saga
      .given()
      .when(placed)
      .thenCommands([{ type: 'FulfilmentPaymentRequested', data: { orderId: o, customerId: 'ada', amount: 2500, paymentToken: 'tok_visa' }, to: 'payments' }])
      .thenLog(['SagaStarted', 'SagaCommandIssued'])
      .thenStatus('Running');
  });

  test('happy path: payment → stock → shipment → completion → capture → commit, Completed', () => {
    const given = saga.given([placed]);
    given
      .when(authorized)
      .thenCommands([{ type: 'FulfilmentStockRequested', data: { orderId: o, lines: [{ sku: 'TEA-001', quantity: 2 }] }, to: 'inventory' }]);
    given.when(reserved).thenCommands([{ type: 'FulfilmentShipmentRequested', to: 'shipping' }]);
    given.when(scheduled).thenCommands([{ type: 'FulfilmentOrderCompletionRequested', data: { orderId: o }, to: 'orders' }]);
    given.when({ type: 'OrderCompleted', data: { orderId: o, total: 2500 } }).thenCommands([{ type: 'FulfilmentCaptureRequested', to: 'payments' }]);
    given
      .when({ type: 'PaymentCaptured', data: { orderId: o, amount: 2500 } })
      .thenCommands([{ type: 'FulfilmentStockCommitRequested', data: { orderId: o }, to: 'inventory' }]);
    given
      .when({ type: 'ReservationCommitted', data: { orderId: o } })
      .thenCommands([])
      .thenStatus('Completed');
    // Late and duplicate replies, and the timeouts of finished steps, change nothing.
    given.when(authorized).thenLog([]);
    given.when(cancelled).thenLog([]);
    given.when({ advance: 3_600_000 }).thenLog([]).thenStatus('Completed');
  });

  test('after the order completed, a cancellation no longer undoes anything and the capture is asked again until it is answered', () => {
    const given = saga.given([placed, authorized, reserved, scheduled, { type: 'OrderCompleted', data: { orderId: o, total: 2500 } }]);
    given.when(cancelled).thenLog([]);
    given.when({ advance: 31_000 }).thenCommands([{ type: 'FulfilmentCaptureRequested' }]);
    expect(given.state.status).toBe('Running');
  });

  test('declined payment: nothing to undo, the order is rejected', () => {
    saga
      .given([placed])
      .when({ type: 'PaymentDeclined', data: { orderId: o, reason: 'card_declined' } })
      .thenCommands([{ type: 'FulfilmentOrderRejectionRequested', data: { orderId: o, reason: 'payment_declined' }, to: 'orders' }])
      .thenStatus('Compensated');
  });

  test('out of stock: the payment is voided first, then the order is rejected', () => {
    const given = saga.given([placed, authorized]);
    given
      .when({ type: 'ReservationRejected', data: { orderId: o, sku: 'LTD-001', requested: 5, available: 1 } })
      .thenCompensations([{ type: 'FulfilmentPaymentVoidRequested', to: 'payments' }])
      .thenStatus('Compensating');
    given
      .when({ type: 'PaymentVoided', data: { orderId: o, amount: 2500, reason: 'fulfilment compensated' } })
      .thenCommands([{ type: 'FulfilmentOrderRejectionRequested', data: { orderId: o, reason: 'out_of_stock' } }])
      .thenStatus('Compensated');
    expect(given.state.failure).toBe('out_of_stock');
  });

  test('a cancellation undoes the step in flight too (its action may still happen), then the earlier ones, in reverse', () => {
    const given = saga.given([placed, authorized]);
    given.when(cancelled).thenCompensations([{ type: 'FulfilmentStockReleaseRequested', to: 'inventory' }]);
    // The reservation was rejected after all: the stock holds nothing, which settles its compensation.
    given
      .when({ type: 'ReservationRejected', data: { orderId: o, sku: 'TEA-001', requested: 2, available: 0 } })
      .thenCompensations([{ type: 'FulfilmentPaymentVoidRequested' }]);
    // A cancelled order is not rejected: the order stream already says cancelled.
    given
      .when({ type: 'PaymentVoided', data: { orderId: o, amount: 2500, reason: 'fulfilment compensated' } })
      .thenCommands([])
      .thenStatus('Compensated');
  });

  test('cancelled while the payment is out and then declined: the decline settles the void', () => {
    const given = saga.given([placed]);
    given.when(cancelled).thenCompensations([{ type: 'FulfilmentPaymentVoidRequested' }]);
    given.when({ type: 'PaymentDeclined', data: { orderId: o, reason: 'card_declined' } }).thenStatus('Compensated');
  });

  test('a cancellation that wins the race against completion compensates shipment, stock and payment', () => {
    const given = saga.given([placed, authorized, reserved, scheduled]);
    given.when(cancelled).thenCompensations([{ type: 'FulfilmentShipmentCancelRequested', to: 'shipping' }]);
    given.when({ type: 'ShipmentCancelled', data: { orderId: o, reason: 'x' } }).thenCompensations([{ type: 'FulfilmentStockReleaseRequested' }]);
    given.when({ type: 'ReservationReleased', data: { orderId: o, reason: 'x' } }).thenCompensations([{ type: 'FulfilmentPaymentVoidRequested' }]);
    given.when({ type: 'PaymentVoided', data: { orderId: o, amount: 2500, reason: 'x' } }).thenStatus('Compensated');
  });

  test('a command without an answer is sent again after its timeout (durable timers), with backoff', () => {
    const given = saga.given([placed]);
    given.when({ advance: 29_999 }).thenLog([]);
    given.when({ advance: 1 }).thenLog(['SagaStepExpired', 'SagaRetryScheduled', 'SagaTimerScheduled']);
    given.when({ advance: 1_000 }).thenCommands([{ type: 'FulfilmentPaymentRequested' }]);
    given.when(authorized).thenCommands([{ type: 'FulfilmentStockRequested' }]);
  });

  test('a compensation that is never confirmed needs attention; an operator retry sends it again', () => {
    const given = saga.given([placed, authorized, { type: 'ReservationRejected', data: { orderId: o, sku: 'X', requested: 1, available: 0 } }]);
    for (let i = 0; i < 20 && given.state.status !== 'NeedsAttention'; i++) given.when({ advance: 60_000 });
    expect(given.state.status).toBe('NeedsAttention');
    expect(given.state.attention).toMatchObject({ saga: 'Fulfilment', sagaId: o, step: 'payment', phase: 'compensation', attempts: 10 });
    given
      .when({ operator: 'retry' })
      .thenCompensations([{ type: 'FulfilmentPaymentVoidRequested' }])
      .thenStatus('Compensating');
    given.when({ type: 'PaymentVoided', data: { orderId: o, amount: 2500, reason: 'x' } }).thenCommands([{ type: 'FulfilmentOrderRejectionRequested' }]);
  });

  test('the rejection reason of a failed saga', () => {
    const data = { paid: false } as FulfilmentData;
    expect(rejectionFor('cancelled', data)).toBeUndefined();
    expect(rejectionFor('out_of_stock', data)).toBe('out_of_stock');
    expect(rejectionFor('step "payment" timed out', data)).toBe('payment_declined');
    expect(rejectionFor('step "stock" timed out', { ...data, paid: true })).toBe('out_of_stock');
  });
});
