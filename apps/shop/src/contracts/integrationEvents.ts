/**
 * The integration event contracts: what each context publishes to the others. Domain events stay
 * inside their context; the relay maps the listed ones to these messages explicitly (field by field),
 * so a context can change its domain events without breaking its consumers. Fat or thin is chosen
 * per event and explained in docs/shop.md: an event is fat when its consumers would otherwise have
 * to call back into the publisher to act on it.
 */
import type { RecordedEvent } from '@eventfold/core';
import type { OrderLine, RejectionReason, ShippingAddress } from '../orders/orderDecider.js';

export const DESTINATIONS = {
  orders: 'shop.orders',
  payments: 'shop.payments',
  inventory: 'shop.inventory',
  shipping: 'shop.shipping',
  /** Orchestration only: commands the fulfilment saga sends, recorded in its saga log first (`SagaCommandIssued`). */
  fulfilment: 'shop.fulfilment',
} as const;
export type Context = keyof typeof DESTINATIONS;

type Line = {
  sku: string;
  quantity: number;
};

/** Every integration event: type → data. All are schema version 1. */
export interface IntegrationEvents {
  /** Fat: payments needs amount and token, inventory the lines, shipping (via ready) the address — no callbacks to orders. */
  OrderPlaced: { orderId: string; customerId: string; lines: OrderLine[]; total: number; shippingAddress: ShippingAddress; paymentToken: string };
  /** Fat: what shipping needs to ship (choreography). */
  OrderReadyForShipment: { orderId: string; lines: Line[]; shippingAddress: ShippingAddress };
  /** Thin: the fact and the amount to capture. */
  OrderCompleted: { orderId: string; total: number };
  OrderRejected: { orderId: string; reason: RejectionReason };
  OrderCancelled: { orderId: string; reason: string };
  PaymentAuthorized: { orderId: string; amount: number };
  PaymentDeclined: { orderId: string; reason: string };
  PaymentCaptured: { orderId: string; amount: number };
  PaymentVoided: { orderId: string; amount: number; reason: string };
  PaymentRefunded: { orderId: string; amount: number; reason: string };
  PaymentCancelled: { orderId: string; reason: string };
  ReservationConfirmed: { orderId: string; lines: Line[] };
  ReservationRejected: { orderId: string; sku: string; requested: number; available: number };
  ReservationReleased: { orderId: string; reason: string };
  ReservationCommitted: { orderId: string };
  ShipmentScheduled: { orderId: string; trackingNumber: string };
  ShipmentCancelled: { orderId: string; reason: string };
  FulfilmentPaymentRequested: { orderId: string; customerId: string; amount: number; paymentToken: string };
  FulfilmentStockRequested: { orderId: string; lines: Line[] };
  FulfilmentShipmentRequested: { orderId: string; lines: Line[]; shippingAddress: ShippingAddress };
  FulfilmentOrderCompletionRequested: { orderId: string };
  FulfilmentOrderRejectionRequested: { orderId: string; reason: RejectionReason };
  FulfilmentCaptureRequested: { orderId: string };
  FulfilmentStockCommitRequested: { orderId: string };
  FulfilmentPaymentVoidRequested: { orderId: string; reason: string };
  FulfilmentStockReleaseRequested: { orderId: string; reason: string };
  FulfilmentShipmentCancelRequested: { orderId: string; reason: string };
}
export type IntegrationType = keyof IntegrationEvents;
export type IntegrationMessage = { [K in IntegrationType]: { type: K; data: IntegrationEvents[K] } }[IntegrationType];

type Mapper = (data: Record<string, unknown>) => Record<string, unknown>;
const pick =
  (...fields: string[]): Mapper =>
  (data) =>
    Object.fromEntries(fields.map((f) => [f, data[f]]));
const lines = (value: unknown): Line[] => (value as Line[]).map((l) => ({ sku: l.sku, quantity: l.quantity }));

/** Domain event type → integration mapping, per publishing context. Events not listed are not published. */
export const PUBLISHED: Record<Context, Record<string, Mapper>> = {
  orders: {
    OrderPlaced: pick('orderId', 'customerId', 'lines', 'total', 'shippingAddress', 'paymentToken'),
    OrderReadyForShipment: (d) => ({ orderId: d.orderId, lines: lines(d.lines), shippingAddress: d.shippingAddress }),
    OrderCompleted: pick('orderId', 'total'),
    OrderRejected: pick('orderId', 'reason'),
    OrderCancelled: pick('orderId', 'reason'),
  },
  payments: {
    PaymentAuthorized: pick('orderId', 'amount'),
    PaymentDeclined: pick('orderId', 'reason'),
    PaymentCaptured: pick('orderId', 'amount'),
    PaymentVoided: pick('orderId', 'amount', 'reason'),
    PaymentRefunded: pick('orderId', 'amount', 'reason'),
    PaymentCancelled: pick('orderId', 'reason'),
  },
  inventory: {
    ReservationConfirmed: (d) => ({ orderId: d.orderId, lines: lines(d.lines) }),
    ReservationRejected: pick('orderId', 'sku', 'requested', 'available'),
    ReservationReleased: pick('orderId', 'reason'),
    ReservationCommitted: pick('orderId'),
  },
  shipping: {
    ShipmentScheduled: pick('orderId', 'trackingNumber'),
    ShipmentCancelled: pick('orderId', 'reason'),
  },
  fulfilment: Object.fromEntries(
    [
      'FulfilmentPaymentRequested',
      'FulfilmentStockRequested',
      'FulfilmentShipmentRequested',
      'FulfilmentOrderCompletionRequested',
      'FulfilmentOrderRejectionRequested',
      'FulfilmentCaptureRequested',
      'FulfilmentStockCommitRequested',
      'FulfilmentPaymentVoidRequested',
      'FulfilmentStockReleaseRequested',
      'FulfilmentShipmentCancelRequested',
    ].map((type) => [type, (d: Record<string, unknown>) => d]),
  ),
};

/** Stream id prefix → owning context: a context publishes only events of its own streams. */
export const STREAM_OWNERS: Record<string, Context> = {
  'order-': 'orders',
  'payment-': 'payments',
  'stock-': 'inventory',
  'reservation-': 'inventory',
  'shipment-': 'shipping',
  /** The fulfilment saga's log (`saga-Fulfilment-<orderId>`): its `SagaCommandIssued` entries are the commands. */
  'saga-Fulfilment-': 'fulfilment',
};

const OWNER_PREFIXES = Object.entries(STREAM_OWNERS);

export function ownerOf(streamId: string): Context | undefined {
  // Called for every event by every outgoing route and read model: no entries array per call.
  for (const [prefix, context] of OWNER_PREFIXES) if (streamId.startsWith(prefix)) return context;
  return undefined;
}

/** The integration message for a stored domain event of `context`, or undefined when it stays inside. */
export function toIntegrationEvent(context: Context, event: RecordedEvent): IntegrationMessage | undefined {
  if (ownerOf(event.streamId) !== context) return undefined;
  const mapper = PUBLISHED[context][event.type];
  if (mapper === undefined) return undefined;
  return { type: event.type, data: mapper(event.data as Record<string, unknown>) } as IntegrationMessage;
}

/** Reader table for the JSON serde: every contract type at schema version 1. */
export const INTEGRATION_READERS: Record<string, readonly number[]> = Object.fromEntries(
  Object.values(PUBLISHED).flatMap((types) => Object.keys(types).map((t) => [t, [1] as const])),
);
