/**
 * The inventory context's stock item (stream `stock-<sku>`): the catalogue entry and its quantities.
 * Reservations are keyed by order id, so reserving, releasing or shipping an order's units twice is a
 * no-op. Invariant: listed + added = available + Σ reserved + shipped.
 */
import { type Command, CommandRejectedError, defineDecider, defineSnapshotPolicy, type JsonValue } from '@eventfold/core';
import { Map as PersistentMap } from 'immutable';

export interface StockState {
  listed: boolean;
  sku: string;
  name: string;
  unitPrice: number;
  available: number;
  /**
   * Open reservations: order id → units. A persistent map (immutable-js): a hot SKU has one open
   * reservation per order in flight, and each event makes a new state that shares all but a path of it
   * with the last, where copying a plain object would cost O(orders in flight) per event.
   */
  reserved: PersistentMap<string, number>;
  shipped: number;
  received: number;
}

export type StockCommand =
  | Command<'ListStock', { sku: string; name: string; description: string; unitPrice: number; quantity: number }>
  | Command<'AddStock', { sku: string; quantity: number }>
  | Command<'ReserveStock', { sku: string; orderId: string; quantity: number }>
  | Command<'ReleaseStock', { sku: string; orderId: string }>
  | Command<'ShipStock', { sku: string; orderId: string }>;

export type StockEvent =
  | { type: 'StockListed'; data: { sku: string; name: string; description: string; unitPrice: number; quantity: number } }
  | { type: 'StockAdded'; data: { sku: string; quantity: number } }
  | { type: 'StockReserved'; data: { sku: string; orderId: string; quantity: number } }
  | { type: 'StockReleased'; data: { sku: string; orderId: string; quantity: number } }
  | { type: 'StockShipped'; data: { sku: string; orderId: string; quantity: number } };

/** Largest quantity one AddStock may add; keeps totals far inside safe integers. */
export const MAX_STOCK_INCREMENT = 1_000_000;

function requireListed(state: StockState, sku: string): void {
  if (!state.listed) throw new CommandRejectedError('UnknownProduct', `No product with SKU "${sku}" is in the catalogue.`, { sku });
}

export const stockDecider = defineDecider<StockState, StockCommand, StockEvent>({
  name: 'Stock',
  eventTypes: ['StockListed', 'StockAdded', 'StockReserved', 'StockReleased', 'StockShipped'],
  initialState: () => ({ listed: false, sku: '', name: '', unitPrice: 0, available: 0, reserved: PersistentMap<string, number>(), shipped: 0, received: 0 }),
  decide(command, state) {
    const { sku } = command.data;
    switch (command.type) {
      case 'ListStock':
        return state.listed ? [] : { type: 'StockListed', data: command.data };
      case 'AddStock': {
        requireListed(state, sku);
        const { quantity } = command.data;
        if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_STOCK_INCREMENT) {
          throw new CommandRejectedError('InvalidQuantity', `quantity must be a whole number from 1 to ${MAX_STOCK_INCREMENT}.`, { quantity });
        }
        return { type: 'StockAdded', data: { sku, quantity } };
      }
      case 'ReserveStock': {
        requireListed(state, sku);
        const { orderId, quantity } = command.data;
        if (state.reserved.has(orderId)) return [];
        if (quantity > state.available) {
          throw new CommandRejectedError('OutOfStock', `Only ${state.available} of ${sku} available, ${quantity} requested.`, {
            sku,
            requested: quantity,
            available: state.available,
          });
        }
        return { type: 'StockReserved', data: { sku, orderId, quantity } };
      }
      case 'ReleaseStock':
      case 'ShipStock': {
        const quantity = state.reserved.get(command.data.orderId);
        if (quantity === undefined) return [];
        const type = command.type === 'ReleaseStock' ? 'StockReleased' : 'StockShipped';
        return { type, data: { sku, orderId: command.data.orderId, quantity } };
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'StockListed': {
        const { sku, name, unitPrice, quantity } = event.data;
        return { ...state, listed: true, sku, name, unitPrice, available: quantity, received: quantity };
      }
      case 'StockAdded':
        return { ...state, available: state.available + event.data.quantity, received: state.received + event.data.quantity };
      case 'StockReserved':
        return { ...state, available: state.available - event.data.quantity, reserved: state.reserved.set(event.data.orderId, event.data.quantity) };
      case 'StockReleased':
      case 'StockShipped': {
        const reserved = state.reserved.delete(event.data.orderId);
        return event.type === 'StockReleased'
          ? { ...state, available: state.available + event.data.quantity, reserved }
          : { ...state, shipped: state.shipped + event.data.quantity, reserved };
      }
    }
  },
});

/** The state as JSON: reservations as a plain object. */
type StockSnapshot = Omit<StockState, 'reserved'> & { reserved: Record<string, number> };

/** Hot SKUs collect thousands of events and are loaded for every order; a snapshot every 25 keeps each load short. */
export const stockSnapshots = defineSnapshotPolicy<StockState>({
  everyEvents: 25,
  // Version 1 held the same JSON; the in-memory map changed, not the snapshot.
  stateVersion: 1,
  toSnapshot: (state) => ({ ...state, reserved: state.reserved.toObject() }) satisfies StockSnapshot as unknown as JsonValue,
  fromSnapshot: (json) => {
    const snapshot = json as unknown as StockSnapshot;
    return { ...snapshot, reserved: PersistentMap(Object.entries(snapshot.reserved)) };
  },
});
