/**
 * The shipping context: one shipment per order (stream `shipment-<orderId>`). A cancellation that
 * overtakes the scheduling request closes the shipment, so the late request ships nothing.
 */
import { type Command, defineDecider } from '@eventfold/core';
import type { ShippingAddress } from '../orders/orderDecider.js';

export type ShipmentStatus = 'none' | 'scheduled' | 'cancelled';

export interface ShipmentState {
  status: ShipmentStatus;
  trackingNumber: string | undefined;
}

export type ShipmentLine = {
  sku: string;
  quantity: number;
};

export type ShipmentCommand =
  | Command<'ScheduleShipment', { orderId: string; lines: ShipmentLine[]; shippingAddress: ShippingAddress; scheduledAt: string }>
  | Command<'CancelShipment', { orderId: string; reason: string }>;

export type ShipmentEvent =
  | {
      type: 'ShipmentScheduled';
      data: { orderId: string; lines: ShipmentLine[]; shippingAddress: ShippingAddress; trackingNumber: string; scheduledAt: string };
    }
  | { type: 'ShipmentCancelled'; data: { orderId: string; reason: string; wasScheduled: boolean } };

/** Tracking numbers derive from the order id, so a retried scheduling decides the same number. */
export function trackingNumberFor(orderId: string): string {
  let hash = 0;
  for (const char of orderId) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `EF${hash.toString(36).toUpperCase().padStart(7, '0')}`;
}

export const shipmentDecider = defineDecider<ShipmentState, ShipmentCommand, ShipmentEvent>({
  name: 'Shipment',
  eventTypes: ['ShipmentScheduled', 'ShipmentCancelled'],
  initialState: () => ({ status: 'none', trackingNumber: undefined }),
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'ScheduleShipment': {
        if (state.status !== 'none') return [];
        const { lines, shippingAddress, scheduledAt } = command.data;
        return { type: 'ShipmentScheduled', data: { orderId, lines, shippingAddress, trackingNumber: trackingNumberFor(orderId), scheduledAt } };
      }
      case 'CancelShipment':
        return state.status === 'cancelled'
          ? []
          : { type: 'ShipmentCancelled', data: { orderId, reason: command.data.reason, wasScheduled: state.status === 'scheduled' } };
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ShipmentScheduled':
        return { status: 'scheduled', trackingNumber: event.data.trackingNumber };
      case 'ShipmentCancelled':
        return { ...state, status: 'cancelled' };
    }
  },
});
