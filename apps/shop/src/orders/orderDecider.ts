/**
 * The orders context: an order's life from placement to one terminal state. The order stream is the
 * arbiter of the outcome — completion and cancellation exclude each other here, and every other
 * context converges on what this stream decided.
 */
import { type Command, CommandRejectedError, defineDecider } from '@eventfold/core';

export type OrderLine = {
  sku: string;
  quantity: number;
  /** Price per unit in cents, as quoted by the catalogue when the order was placed. */
  unitPrice: number;
};

export type ShippingAddress = {
  name: string;
  street: string;
  city: string;
  postcode: string;
  country: string;
};

export type OrderStatus = 'none' | 'placed' | 'completed' | 'rejected' | 'cancelled';
export type RejectionReason = 'payment_declined' | 'out_of_stock';
export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = ['completed', 'rejected', 'cancelled'];

export interface OrderState {
  status: OrderStatus;
  orderId: string;
  customerId: string;
  total: number;
  lines: OrderLine[];
  paymentConfirmed: boolean;
  stockConfirmed: boolean;
  /** Set once the order asked shipping to ship (choreography); never asked twice. */
  readyForShipment: boolean;
  shippingAddress: ShippingAddress | undefined;
  reason: string | undefined;
}

export type OrderCommand =
  | Command<'PlaceOrder', { orderId: string; customerId: string; lines: OrderLine[]; shippingAddress: ShippingAddress; paymentToken: string; placedAt: string }>
  | Command<'ConfirmOrderPayment', { orderId: string }>
  | Command<'ConfirmOrderStock', { orderId: string }>
  | Command<'CompleteOrder', { orderId: string }>
  | Command<'RejectOrder', { orderId: string; reason: RejectionReason }>
  | Command<'CancelOrder', { orderId: string; reason: string }>;

export type OrderEvent =
  | {
      type: 'OrderPlaced';
      data: {
        orderId: string;
        customerId: string;
        lines: OrderLine[];
        total: number;
        shippingAddress: ShippingAddress;
        paymentToken: string;
        placedAt: string;
      };
    }
  | { type: 'OrderPaymentConfirmed'; data: { orderId: string } }
  | { type: 'OrderStockConfirmed'; data: { orderId: string } }
  | { type: 'OrderReadyForShipment'; data: { orderId: string; lines: OrderLine[]; shippingAddress: ShippingAddress } }
  | { type: 'OrderCompleted'; data: { orderId: string; total: number } }
  | { type: 'OrderRejected'; data: { orderId: string; reason: RejectionReason } }
  | { type: 'OrderCancelled'; data: { orderId: string; reason: string } };

export function orderTotal(lines: readonly OrderLine[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
}

const initialState = (): OrderState => ({
  status: 'none',
  orderId: '',
  customerId: '',
  total: 0,
  lines: [],
  paymentConfirmed: false,
  stockConfirmed: false,
  readyForShipment: false,
  shippingAddress: undefined,
  reason: undefined,
});

function requirePlaced(state: OrderState, orderId: string): void {
  if (state.status === 'none') throw new CommandRejectedError('OrderNotFound', `Order ${orderId} does not exist; place it first.`, { orderId });
}

/** While an order is `placed`, payment and stock confirmations may arrive in either order (choreography). */
function confirm(state: OrderState, which: 'payment' | 'stock', orderId: string): OrderEvent[] {
  requirePlaced(state, orderId);
  if (state.status !== 'placed') return [];
  const already = which === 'payment' ? state.paymentConfirmed : state.stockConfirmed;
  if (already) return [];
  const events: OrderEvent[] = [
    which === 'payment' ? { type: 'OrderPaymentConfirmed', data: { orderId } } : { type: 'OrderStockConfirmed', data: { orderId } },
  ];
  const other = which === 'payment' ? state.stockConfirmed : state.paymentConfirmed;
  if (other && !state.readyForShipment && state.shippingAddress) {
    events.push({ type: 'OrderReadyForShipment', data: { orderId, lines: state.lines, shippingAddress: state.shippingAddress } });
  }
  return events;
}

export const orderDecider = defineDecider<OrderState, OrderCommand, OrderEvent>({
  name: 'Order',
  eventTypes: ['OrderPlaced', 'OrderPaymentConfirmed', 'OrderStockConfirmed', 'OrderReadyForShipment', 'OrderCompleted', 'OrderRejected', 'OrderCancelled'],
  initialState,
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'PlaceOrder': {
        if (state.status !== 'none') {
          // The same order id placed again: idempotent when it is the same order (a retried request).
          if (state.customerId === command.data.customerId && orderTotal(command.data.lines) === state.total) return [];
          throw new CommandRejectedError('OrderAlreadyExists', `Order ${orderId} already exists; use a new order id.`, { orderId });
        }
        const { customerId, lines, shippingAddress, paymentToken, placedAt } = command.data;
        if (lines.length === 0) throw new CommandRejectedError('EmptyOrder', 'An order needs at least one line.', { orderId });
        for (const line of lines) {
          if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
            throw new CommandRejectedError('InvalidQuantity', `Line ${line.sku}: quantity must be a whole number ≥ 1.`, { sku: line.sku });
          }
          if (!Number.isSafeInteger(line.unitPrice) || line.unitPrice < 0) {
            throw new CommandRejectedError('InvalidPrice', `Line ${line.sku}: unit price must be whole cents ≥ 0.`, { sku: line.sku });
          }
        }
        const total = orderTotal(lines);
        return { type: 'OrderPlaced', data: { orderId, customerId, lines, total, shippingAddress, paymentToken, placedAt } };
      }
      case 'ConfirmOrderPayment':
        return confirm(state, 'payment', orderId);
      case 'ConfirmOrderStock':
        return confirm(state, 'stock', orderId);
      case 'CompleteOrder':
        requirePlaced(state, orderId);
        // A completion that lost the race against a cancellation changes nothing: the cancel compensates.
        return state.status === 'placed' ? { type: 'OrderCompleted', data: { orderId, total: state.total } } : [];
      case 'RejectOrder':
        requirePlaced(state, orderId);
        return state.status === 'placed' ? { type: 'OrderRejected', data: { orderId, reason: command.data.reason } } : [];
      case 'CancelOrder':
        requirePlaced(state, orderId);
        if (state.status === 'cancelled') return [];
        if (state.status !== 'placed') {
          throw new CommandRejectedError('OrderNotCancellable', `Order ${orderId} is already ${state.status} and can no longer be cancelled.`, {
            orderId,
            status: state.status,
          });
        }
        return { type: 'OrderCancelled', data: { orderId, reason: command.data.reason } };
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'OrderPlaced': {
        const d = event.data;
        return { ...state, status: 'placed', orderId: d.orderId, customerId: d.customerId, total: d.total, lines: d.lines, shippingAddress: d.shippingAddress };
      }
      case 'OrderPaymentConfirmed':
        return { ...state, paymentConfirmed: true };
      case 'OrderStockConfirmed':
        return { ...state, stockConfirmed: true };
      case 'OrderReadyForShipment':
        return { ...state, readyForShipment: true };
      case 'OrderCompleted':
        return { ...state, status: 'completed' };
      case 'OrderRejected':
        return { ...state, status: 'rejected', reason: event.data.reason };
      case 'OrderCancelled':
        return { ...state, status: 'cancelled', reason: event.data.reason };
    }
  },
});
