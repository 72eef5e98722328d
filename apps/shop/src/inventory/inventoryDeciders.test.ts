import { deciderFixture } from '@eventfold/core/testing';
import { describe, expect, test } from 'vitest';
import { type ReservationEvent, reservationDecider } from './reservationDecider.js';
import { type StockEvent, stockDecider, stockSnapshots } from './stockDecider.js';

const listed: StockEvent = { type: 'StockListed', data: { sku: 'TEA-001', name: 'Tea', description: 'Green', unitPrice: 1250, quantity: 5 } };
const stock = deciderFixture(stockDecider);
const reservation = deciderFixture(reservationDecider);

describe('stock decider', () => {
  test('reserves what is available, once per order', () => {
    const reserved: StockEvent = { type: 'StockReserved', data: { sku: 'TEA-001', orderId: 'o1', quantity: 3 } };
    stock
      .given([listed])
      .when({ type: 'ReserveStock', data: { sku: 'TEA-001', orderId: 'o1', quantity: 3 } })
      .then([reserved]);
    stock
      .given([listed, reserved])
      .when({ type: 'ReserveStock', data: { sku: 'TEA-001', orderId: 'o1', quantity: 3 } })
      .then([]);
  });
  test('refuses more than is available with the numbers in the error', () => {
    const error = stock
      .given([listed])
      .when({ type: 'ReserveStock', data: { sku: 'TEA-001', orderId: 'o1', quantity: 6 } })
      .thenThrows('OutOfStock');
    expect(error).toMatchObject({ context: { requested: 6, available: 5 } });
  });
  test('release and ship act only on an open reservation, and keep received = available + reserved + shipped', () => {
    const reserved: StockEvent = { type: 'StockReserved', data: { sku: 'TEA-001', orderId: 'o1', quantity: 3 } };
    stock
      .given([listed, reserved])
      .when({ type: 'ReleaseStock', data: { sku: 'TEA-001', orderId: 'o1' } })
      .then([{ type: 'StockReleased', data: { sku: 'TEA-001', orderId: 'o1', quantity: 3 } }]);
    stock
      .given([listed])
      .when({ type: 'ReleaseStock', data: { sku: 'TEA-001', orderId: 'o1' } })
      .then([]);
    stock
      .given([listed, reserved])
      .when({ type: 'ShipStock', data: { sku: 'TEA-001', orderId: 'o1' } })
      .thenState((s) => expect([s.received, s.available, s.shipped, s.reserved.toObject()]).toEqual([5, 2, 3, {}]));
  });
  test('a snapshot holds the open reservations as JSON and loads back to the same state', () => {
    const state = [
      listed,
      ...['o1', 'o2', 'o3'].map((orderId, i): StockEvent => ({ type: 'StockReserved', data: { sku: 'TEA-001', orderId, quantity: i + 1 } })),
    ].reduce(stockDecider.evolve, stockDecider.initialState());
    const json = JSON.parse(JSON.stringify(stockSnapshots.toSnapshot(state)));
    expect(json.reserved).toEqual({ o1: 1, o2: 2, o3: 3 });
    const loaded = stockSnapshots.fromSnapshot(json);
    expect(loaded.reserved.equals(state.reserved)).toBe(true);
    expect({ ...loaded, reserved: null }).toEqual({ ...state, reserved: null });
    // A reservation taken on the loaded state is still refused twice and released once.
    expect(stockDecider.decide({ type: 'ReserveStock', data: { sku: 'TEA-001', orderId: 'o2', quantity: 2 } }, loaded)).toEqual([]);
    expect(stockDecider.decide({ type: 'ReleaseStock', data: { sku: 'TEA-001', orderId: 'o2' } }, loaded)).toEqual({
      type: 'StockReleased',
      data: { sku: 'TEA-001', orderId: 'o2', quantity: 2 },
    });
  });
  test('adding stock needs a listed product and a sane quantity', () => {
    stock
      .given([])
      .when({ type: 'AddStock', data: { sku: 'NOPE', quantity: 1 } })
      .thenThrows('UnknownProduct');
    stock
      .given([listed])
      .when({ type: 'AddStock', data: { sku: 'TEA-001', quantity: 0 } })
      .thenThrows('InvalidQuantity');
    stock
      .given([listed])
      .when({ type: 'AddStock', data: { sku: 'TEA-001', quantity: 10 } })
      .then([{ type: 'StockAdded', data: { sku: 'TEA-001', quantity: 10 } }]);
  });
});

describe('reservation decider', () => {
  const lines = [{ sku: 'TEA-001', quantity: 3 }];
  const confirmed: ReservationEvent = { type: 'ReservationConfirmed', data: { orderId: 'o1', lines } };
  test('confirms once; a release gives back the confirmed lines', () => {
    reservation
      .given([])
      .when({ type: 'ConfirmReservation', data: { orderId: 'o1', lines } })
      .then([confirmed]);
    reservation
      .given([confirmed])
      .when({ type: 'ConfirmReservation', data: { orderId: 'o1', lines } })
      .then([]);
    reservation
      .given([confirmed])
      .when({ type: 'ReleaseReservation', data: { orderId: 'o1', reason: 'cancelled' } })
      .then([{ type: 'ReservationReleased', data: { orderId: 'o1', lines, reason: 'cancelled' } }]);
  });
  test('a release that overtakes the request closes the reservation: the late request confirms nothing', () => {
    const released: ReservationEvent = { type: 'ReservationReleased', data: { orderId: 'o1', lines: [], reason: 'cancelled' } };
    reservation
      .given([])
      .when({ type: 'ReleaseReservation', data: { orderId: 'o1', reason: 'cancelled' } })
      .then([released]);
    reservation
      .given([released])
      .when({ type: 'ConfirmReservation', data: { orderId: 'o1', lines } })
      .then([]);
  });
  test('commit only from confirmed', () => {
    reservation
      .given([confirmed])
      .when({ type: 'CommitReservation', data: { orderId: 'o1' } })
      .then([{ type: 'ReservationCommitted', data: { orderId: 'o1', lines } }]);
    reservation
      .given([])
      .when({ type: 'CommitReservation', data: { orderId: 'o1' } })
      .then([]);
  });
});
