/**
 * The four contexts' application services over one event store: each operation loads an aggregate,
 * decides and appends (the repository retries on concurrency conflicts). Every operation is
 * idempotent in its aggregate's state, so at-least-once delivery never doubles an effect.
 */
import { CommandRejectedError, createRepository, type EventStore, isEventfoldError } from '@eventfold/core';
import { serializeByStream } from './internal/serializeByStream.js';
import { type ReservedLine, reservationDecider } from './inventory/reservationDecider.js';
import { stockDecider, stockSnapshots } from './inventory/stockDecider.js';
import { type OrderLine, orderDecider, type RejectionReason, type ShippingAddress } from './orders/orderDecider.js';
import { paymentDecider } from './payments/paymentDecider.js';
import { shipmentDecider } from './shipping/shipmentDecider.js';

export interface PlaceOrderInput {
  orderId: string;
  customerId: string;
  lines: { sku: string; quantity: number }[];
  shippingAddress: ShippingAddress;
  paymentToken: string;
}

/**
 * Aggregates kept in memory per repository between commands (an order's streams see several commands
 * within seconds). Version-checked by every append, so another process's writes are never missed.
 */
const KEPT_AGGREGATES = 20_000;

function repositories(store: EventStore) {
  return {
    orders: serializeByStream(createRepository({ store, decider: orderDecider, maxAttempts: 10, cacheSize: KEPT_AGGREGATES })),
    payments: serializeByStream(createRepository({ store, decider: paymentDecider, maxAttempts: 10, cacheSize: KEPT_AGGREGATES })),
    stock: serializeByStream(createRepository({ store, decider: stockDecider, snapshots: stockSnapshots, maxAttempts: 50, cacheSize: KEPT_AGGREGATES })),
    reservations: serializeByStream(createRepository({ store, decider: reservationDecider, maxAttempts: 10, cacheSize: KEPT_AGGREGATES })),
    shipments: serializeByStream(createRepository({ store, decider: shipmentDecider, maxAttempts: 10, cacheSize: KEPT_AGGREGATES })),
  };
}
export type ShopRepositories = ReturnType<typeof repositories>;

export interface ShopServices {
  readonly repositories: ShopRepositories;
  readonly orders: {
    /** `placed` is the `OrderPlaced` event's data when this call placed the order (not on a retry of a placed one). */
    place(input: PlaceOrderInput, now: Date): Promise<{ position: bigint | undefined; total: number; placed: Record<string, unknown> | undefined }>;
    cancel(orderId: string, reason: string): Promise<bigint | undefined>;
    complete(orderId: string): Promise<void>;
    reject(orderId: string, reason: RejectionReason): Promise<void>;
    confirm(orderId: string, which: 'payment' | 'stock'): Promise<void>;
  };
  readonly payments: {
    authorize(data: { orderId: string; customerId: string; amount: number; paymentToken: string }): Promise<void>;
    capture(orderId: string): Promise<void>;
    void(orderId: string, reason: string): Promise<void>;
  };
  readonly inventory: {
    list(item: { sku: string; name: string; description: string; unitPrice: number; quantity: number }): Promise<void>;
    add(sku: string, quantity: number): Promise<bigint | undefined>;
    reserve(orderId: string, lines: readonly ReservedLine[]): Promise<void>;
    release(orderId: string, reason: string): Promise<void>;
    commit(orderId: string): Promise<void>;
  };
  readonly shipping: {
    schedule(data: { orderId: string; lines: ReservedLine[]; shippingAddress: ShippingAddress }, now: Date): Promise<void>;
    cancel(orderId: string, reason: string): Promise<void>;
  };
}

/** Merges lines of the same SKU so one stock item is reserved once per order. */
function bySku(lines: readonly ReservedLine[]): ReservedLine[] {
  const merged = new Map<string, number>();
  for (const l of lines) merged.set(l.sku, (merged.get(l.sku) ?? 0) + l.quantity);
  return [...merged].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }));
}

export function createShopServices(store: EventStore): ShopServices {
  const repos = repositories(store);

  async function releaseLines(orderId: string, lines: readonly ReservedLine[]): Promise<void> {
    for (const line of lines) await repos.stock.handle(line.sku, { type: 'ReleaseStock', data: { sku: line.sku, orderId } });
  }

  // Prices never change once listed (there is no re-pricing command), so a placed order need not
  // load the hot stock streams just to quote them.
  const prices = new Map<string, number>();
  async function priceOf(sku: string): Promise<number> {
    const cached = prices.get(sku);
    if (cached !== undefined) return cached;
    const { state } = await repos.stock.load(sku);
    if (!state.listed) throw new CommandRejectedError('UnknownProduct', `No product with SKU "${sku}" is in the catalogue.`, { sku });
    prices.set(sku, state.unitPrice);
    return state.unitPrice;
  }

  return {
    repositories: repos,
    orders: {
      async place(input, now) {
        // Prices come from the catalogue at placement: the order records what the customer was quoted.
        const lines: OrderLine[] = [];
        for (const line of input.lines) lines.push({ sku: line.sku, quantity: line.quantity, unitPrice: await priceOf(line.sku) });
        // A placement creates the order (a fresh id, or the client's id on a retry: then the stream
        // exists, the append is refused and the retry decides on it), so it is decided unread.
        const result = await repos.orders.handle(
          input.orderId,
          { type: 'PlaceOrder', data: { ...input, lines, placedAt: now.toISOString() } },
          { assumeNew: true },
        );
        const placed = result.events.find((e) => e.type === 'OrderPlaced')?.data as Record<string, unknown> | undefined;
        return { position: result.globalPosition, total: result.state.total, placed };
      },
      async cancel(orderId, reason) {
        return (await repos.orders.handle(orderId, { type: 'CancelOrder', data: { orderId, reason } })).globalPosition;
      },
      async complete(orderId) {
        await repos.orders.handle(orderId, { type: 'CompleteOrder', data: { orderId } });
      },
      async reject(orderId, reason) {
        await repos.orders.handle(orderId, { type: 'RejectOrder', data: { orderId, reason } });
      },
      async confirm(orderId, which) {
        await repos.orders.handle(orderId, { type: which === 'payment' ? 'ConfirmOrderPayment' : 'ConfirmOrderStock', data: { orderId } });
      },
    },
    payments: {
      async authorize(data) {
        // The first command of an order's payment (a redelivery or an earlier cancel: refused, then loaded).
        await repos.payments.handle(data.orderId, { type: 'AuthorizePayment', data }, { assumeNew: true });
      },
      async capture(orderId) {
        await repos.payments.handle(orderId, { type: 'CapturePayment', data: { orderId } });
      },
      async void(orderId, reason) {
        await repos.payments.handle(orderId, { type: 'VoidPayment', data: { orderId, reason } });
      },
    },
    inventory: {
      async list(item) {
        await repos.stock.handle(item.sku, { type: 'ListStock', data: item });
      },
      async add(sku, quantity) {
        return (await repos.stock.handle(sku, { type: 'AddStock', data: { sku, quantity } })).globalPosition;
      },
      async reserve(orderId, requested) {
        const current = await repos.reservations.load(orderId);
        if (current.state.status !== 'none') return; // decided before, or released before the request arrived
        const lines = bySku(requested);
        const reserved: ReservedLine[] = [];
        for (const line of lines) {
          try {
            await repos.stock.handle(line.sku, { type: 'ReserveStock', data: { sku: line.sku, orderId, quantity: line.quantity } });
            reserved.push(line);
          } catch (error) {
            if (!isEventfoldError(error, 'EVENTFOLD_COMMAND_REJECTED')) throw error;
            await releaseLines(orderId, reserved);
            const context = error.context as { requested?: number; available?: number };
            await repos.reservations.handle(orderId, {
              type: 'RejectReservation',
              data: { orderId, sku: line.sku, requested: context.requested ?? line.quantity, available: context.available ?? 0 },
            });
            return;
          }
        }
        const result = await repos.reservations.handle(orderId, { type: 'ConfirmReservation', data: { orderId, lines } });
        // A release recorded while we reserved wins: give the units back (stock release is idempotent per order).
        if (result.state.status !== 'confirmed' && result.state.status !== 'committed') await releaseLines(orderId, lines);
      },
      async release(orderId, reason) {
        const current = await repos.reservations.load(orderId);
        if (current.state.status === 'confirmed') await releaseLines(orderId, current.state.lines);
        await repos.reservations.handle(orderId, { type: 'ReleaseReservation', data: { orderId, reason } });
      },
      async commit(orderId) {
        const current = await repos.reservations.load(orderId);
        if (current.state.status !== 'confirmed' && current.state.status !== 'committed') return;
        for (const line of current.state.lines) await repos.stock.handle(line.sku, { type: 'ShipStock', data: { sku: line.sku, orderId } });
        await repos.reservations.handle(orderId, { type: 'CommitReservation', data: { orderId } });
      },
    },
    shipping: {
      async schedule(data, now) {
        await repos.shipments.handle(data.orderId, { type: 'ScheduleShipment', data: { ...data, scheduledAt: now.toISOString() } }, { assumeNew: true });
      },
      async cancel(orderId, reason) {
        await repos.shipments.handle(orderId, { type: 'CancelShipment', data: { orderId, reason } });
      },
    },
  };
}
