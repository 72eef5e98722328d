import { sagaFixture } from '@eventfold/core/testing';
import { describe, test } from 'vitest';
import type { OrderLine } from '../messages.js';
import { orderFulfilment } from './orderFulfilmentSaga.js';

const line: OrderLine = { orderId: 'o1', amount: 2_500, card: 'visa', sku: 'book', qty: 1, address: '1 Main St' };
const placed = { type: 'OrderPlaced', data: line };
const charged = { type: 'PaymentCharged', data: { orderId: 'o1', amount: 2_500 } };
const reserved = { type: 'StockReserved', data: { orderId: 'o1', sku: 'book', qty: 1 } };
const fulfilment = sagaFixture(orderFulfilment);

describe('order fulfilment saga, with the saga fixture', () => {
  test('placing an order charges the card', () => {
    fulfilment
      .given()
      .when(placed)
      .thenCommands([{ type: 'ChargePayment', data: { orderId: 'o1', amount: 2_500, card: 'visa' }, to: 'payments' }]);
  });

  test('out of stock after payment: refund', () => {
    fulfilment
      .given([placed, charged])
      .when({ type: 'StockReservationRejected', data: { orderId: 'o1', sku: 'book', reason: 'out of stock' } })
      .thenCompensations([{ type: 'RefundPayment', data: { orderId: 'o1' }, to: 'payments' }])
      .thenStatus('Compensating');
  });

  test('shipping timeout: cancel the shipment, release the stock, refund — one after the other, in reverse order', () => {
    const saga = fulfilment.given([placed, charged, reserved]);
    saga.when({ advance: 59_999 }).thenCommands([]);
    saga
      .when({ advance: 1 })
      .thenCompensations([{ type: 'CancelShipment' }])
      .thenStatus('Compensating');
    saga.when({ type: 'ShipmentScheduled', data: { orderId: 'o1', address: '1 Main St' } }).thenCommands([]); // too late: ignored
    saga.when({ type: 'ShipmentCancelled', data: { orderId: 'o1', reason: 'order fulfilment failed' } }).thenCompensations([{ type: 'ReleaseStock' }]);
    saga.when({ type: 'StockReleased', data: { orderId: 'o1', sku: 'book', qty: 1 } }).thenCompensations([{ type: 'RefundPayment' }]);
    saga.when({ type: 'PaymentRefunded', data: { orderId: 'o1', amount: 2_500 } }).thenStatus('Compensated');
  });

  test('shipped: capture the payment and commit the stock', () => {
    fulfilment
      .given([placed, charged, reserved])
      .when({ type: 'ShipmentScheduled', data: { orderId: 'o1', address: '1 Main St' } })
      .thenCommands([{ type: 'CapturePayment' }, { type: 'CommitStock', data: { orderId: 'o1', sku: 'book' } }])
      .thenStatus('Completed');
  });
});
