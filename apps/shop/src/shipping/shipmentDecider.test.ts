import { deciderFixture } from '@eventfold/core/testing';
import { describe, test } from 'vitest';
import { type ShipmentEvent, shipmentDecider, trackingNumberFor } from './shipmentDecider.js';

const address = { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' };
const schedule = { orderId: 'o1', lines: [{ sku: 'TEA-001', quantity: 1 }], shippingAddress: address, scheduledAt: '2026-01-01T00:00:00.000Z' };
const scheduled: ShipmentEvent = { type: 'ShipmentScheduled', data: { ...schedule, trackingNumber: trackingNumberFor('o1') } };
const shipment = deciderFixture(shipmentDecider);

describe('shipment decider', () => {
  test('schedules once with a tracking number derived from the order', () => {
    shipment.given([]).when({ type: 'ScheduleShipment', data: schedule }).then([scheduled]);
    shipment.given([scheduled]).when({ type: 'ScheduleShipment', data: schedule }).then([]);
  });
  test('cancels a scheduled shipment, and a cancellation that came first blocks the late schedule', () => {
    shipment
      .given([scheduled])
      .when({ type: 'CancelShipment', data: { orderId: 'o1', reason: 'cancelled' } })
      .then([{ type: 'ShipmentCancelled', data: { orderId: 'o1', reason: 'cancelled', wasScheduled: true } }]);
    const early: ShipmentEvent = { type: 'ShipmentCancelled', data: { orderId: 'o1', reason: 'cancelled', wasScheduled: false } };
    shipment
      .given([])
      .when({ type: 'CancelShipment', data: { orderId: 'o1', reason: 'cancelled' } })
      .then([early]);
    shipment.given([early]).when({ type: 'ScheduleShipment', data: schedule }).then([]);
  });
});
