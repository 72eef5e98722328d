import { deciderFixture } from '@eventfold/core/testing';
import { describe, expect, test } from 'vitest';
import { type OrderEvent, orderDecider } from './orderDecider.js';

const address = { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' };
const lines = [
  { sku: 'TEA-001', quantity: 2, unitPrice: 1250 },
  { sku: 'MUG-001', quantity: 1, unitPrice: 1800 },
];
const place = { orderId: 'o1', customerId: 'ada', lines, shippingAddress: address, paymentToken: 'tok_visa', placedAt: '2026-01-01T00:00:00.000Z' };
const placed: OrderEvent = { type: 'OrderPlaced', data: { ...place, total: 4300 } };
const order = deciderFixture(orderDecider);

describe('order decider', () => {
  test('placing an order records its lines and total', () => {
    order.given([]).when({ type: 'PlaceOrder', data: place }).then([placed]);
  });
  test('placing the same order again is idempotent; a different order under the same id is refused', () => {
    order.given([placed]).when({ type: 'PlaceOrder', data: place }).then([]);
    order
      .given([placed])
      .when({ type: 'PlaceOrder', data: { ...place, lines: [{ sku: 'X', quantity: 1, unitPrice: 1 }] } })
      .thenThrows('OrderAlreadyExists');
  });
  test('an empty order or a zero quantity is refused', () => {
    order
      .given([])
      .when({ type: 'PlaceOrder', data: { ...place, lines: [] } })
      .thenThrows('EmptyOrder');
    order
      .given([])
      .when({ type: 'PlaceOrder', data: { ...place, lines: [{ sku: 'A', quantity: 0, unitPrice: 1 }] } })
      .thenThrows('InvalidQuantity');
  });
  test('completion and cancellation exclude each other', () => {
    order
      .given([placed])
      .when({ type: 'CompleteOrder', data: { orderId: 'o1' } })
      .then([{ type: 'OrderCompleted', data: { orderId: 'o1', total: 4300 } }]);
    const cancelled: OrderEvent = { type: 'OrderCancelled', data: { orderId: 'o1', reason: 'changed mind' } };
    order
      .given([placed, cancelled])
      .when({ type: 'CompleteOrder', data: { orderId: 'o1' } })
      .then([]);
    order
      .given([placed, { type: 'OrderCompleted', data: { orderId: 'o1', total: 4300 } }])
      .when({ type: 'CancelOrder', data: { orderId: 'o1', reason: 'late' } })
      .thenThrows('OrderNotCancellable');
    order
      .given([placed, cancelled])
      .when({ type: 'CancelOrder', data: { orderId: 'o1', reason: 'again' } })
      .then([]);
  });
  test('commands for an unknown order are refused with OrderNotFound', () => {
    order
      .given([])
      .when({ type: 'CancelOrder', data: { orderId: 'o9', reason: 'x' } })
      .thenThrows('OrderNotFound');
  });
  test('choreography: payment and stock confirmations in either order make the order ready for shipment once', () => {
    const ready: OrderEvent = { type: 'OrderReadyForShipment', data: { orderId: 'o1', lines, shippingAddress: address } };
    order
      .given([placed, { type: 'OrderStockConfirmed', data: { orderId: 'o1' } }])
      .when({ type: 'ConfirmOrderPayment', data: { orderId: 'o1' } })
      .then([{ type: 'OrderPaymentConfirmed', data: { orderId: 'o1' } }, ready]);
    order
      .given([placed, { type: 'OrderPaymentConfirmed', data: { orderId: 'o1' } }, { type: 'OrderStockConfirmed', data: { orderId: 'o1' } }, ready])
      .when({ type: 'ConfirmOrderPayment', data: { orderId: 'o1' } })
      .then([]);
  });
  test('a rejection after cancellation changes nothing and keeps the cancellation reason', () => {
    order
      .given([placed, { type: 'OrderCancelled', data: { orderId: 'o1', reason: 'changed mind' } }])
      .when({ type: 'RejectOrder', data: { orderId: 'o1', reason: 'out_of_stock' } })
      .thenState((state) => expect(state).toMatchObject({ status: 'cancelled', reason: 'changed mind' }));
  });
});
