/**
 * The inventory service as a decider, one stream per SKU: reservations compete for the same stock,
 * so "out of stock after payment" happens for real when orders race. Idempotent per order.
 */
import { CommandRejectedError, defineDecider } from '@eventfold/core';
import type { StockCommand, StockEvent } from '../messages.js';

export interface Reservation {
  qty: number;
  status: 'reserved' | 'rejected' | 'released' | 'cancelled' | 'shipped';
}

export interface StockState {
  available: number;
  reservations: Record<string, Reservation>;
}

export const inventoryDecider = defineDecider<StockState, StockCommand, StockEvent>({
  name: 'Stock',
  eventTypes: ['StockAdded', 'StockReserved', 'StockReservationRejected', 'StockReleased', 'StockReservationCancelled', 'StockShipped'],
  initialState: () => ({ available: 0, reservations: {} }),
  decide(command, state) {
    switch (command.type) {
      case 'AddStock':
        if (!Number.isInteger(command.data.qty) || command.data.qty <= 0) throw new CommandRejectedError('InvalidQuantity', 'Add a whole quantity above 0.');
        return { type: 'StockAdded', data: { sku: command.data.sku, qty: command.data.qty } };
      case 'ReserveStock': {
        const { orderId, sku, qty } = command.data;
        const existing = state.reservations[orderId];
        if (existing?.status === 'cancelled') return { type: 'StockReservationRejected', data: { orderId, sku, reason: 'cancelled' } };
        if (existing !== undefined) return [];
        if (qty > state.available) return { type: 'StockReservationRejected', data: { orderId, sku, reason: 'out of stock' } };
        return { type: 'StockReserved', data: { orderId, sku, qty } };
      }
      case 'ReleaseStock': {
        const { orderId, sku } = command.data;
        const existing = state.reservations[orderId];
        if (existing === undefined) return { type: 'StockReservationCancelled', data: { orderId, sku } };
        if (existing.status === 'rejected') return { type: 'StockReservationCancelled', data: { orderId, sku } };
        return existing.status === 'reserved' ? { type: 'StockReleased', data: { orderId, sku, qty: existing.qty } } : [];
      }
      case 'CommitStock': {
        const { orderId, sku } = command.data;
        const existing = state.reservations[orderId];
        return existing?.status === 'reserved' ? { type: 'StockShipped', data: { orderId, sku, qty: existing.qty } } : [];
      }
    }
  },
  evolve(state, event) {
    const set = (orderId: string, reservation: Reservation) => ({ ...state.reservations, [orderId]: reservation });
    switch (event.type) {
      case 'StockAdded':
        return { ...state, available: state.available + event.data.qty };
      case 'StockReserved':
        return { available: state.available - event.data.qty, reservations: set(event.data.orderId, { qty: event.data.qty, status: 'reserved' }) };
      case 'StockReservationRejected':
        return {
          ...state,
          reservations: set(event.data.orderId, { qty: 0, status: state.reservations[event.data.orderId]?.status === 'cancelled' ? 'cancelled' : 'rejected' }),
        };
      case 'StockReleased':
        return { available: state.available + event.data.qty, reservations: set(event.data.orderId, { qty: event.data.qty, status: 'released' }) };
      case 'StockReservationCancelled':
        return { ...state, reservations: set(event.data.orderId, { qty: 0, status: 'cancelled' }) };
      case 'StockShipped':
        return { ...state, reservations: set(event.data.orderId, { qty: event.data.qty, status: 'shipped' }) };
    }
  },
});
