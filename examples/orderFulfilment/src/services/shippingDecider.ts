/**
 * The shipping service as a decider, one stream per order. `nowhere` is an address it refuses. A
 * cancellation that overtakes the order leaves a tombstone, so the late order is refused.
 */
import { defineDecider } from '@eventfold/core';
import type { ShipmentCommand, ShipmentEvent } from '../messages.js';

export interface ShipmentState {
  status: 'none' | 'scheduled' | 'rejected' | 'cancelled';
}

export const shippingDecider = defineDecider<ShipmentState, ShipmentCommand, ShipmentEvent>({
  name: 'Shipment',
  eventTypes: ['ShipmentScheduled', 'ShipmentRejected', 'ShipmentCancelled'],
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'ShipOrder':
        if (state.status === 'cancelled') return { type: 'ShipmentRejected', data: { orderId, reason: 'cancelled' } };
        if (state.status !== 'none') return [];
        if (command.data.address === 'nowhere') return { type: 'ShipmentRejected', data: { orderId, reason: 'undeliverable address' } };
        return { type: 'ShipmentScheduled', data: { orderId, address: command.data.address } };
      case 'CancelShipment':
        return state.status === 'cancelled' ? [] : { type: 'ShipmentCancelled', data: { orderId, reason: command.data.reason } };
      case 'ExpireShipment':
        return state.status === 'none' ? { type: 'ShipmentCancelled', data: { orderId, reason: 'shipping deadline passed' } } : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ShipmentScheduled':
        return { status: 'scheduled' };
      case 'ShipmentRejected':
        return { status: state.status === 'cancelled' ? 'cancelled' : 'rejected' };
      case 'ShipmentCancelled':
        return { status: 'cancelled' };
    }
  },
});
