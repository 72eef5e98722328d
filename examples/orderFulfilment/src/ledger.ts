/**
 * The books of the shop, read back from the log: money and stock totals and each order's outcome.
 * The invariants every run must keep: money charged = refunded + captured; stock reserved = released
 * + shipped; each effect at most once per order.
 */
import { type EventStore, type RecordedEvent, START } from '@eventfold/core';

export interface Ledger {
  charged: number;
  refunded: number;
  captured: number;
  reserved: number;
  released: number;
  shipped: number;
  /** Effects recorded more than once for one order (must stay empty). */
  doubled: string[];
  /** Per order: the effect events it got, e.g. { o1: ['PaymentCharged', 'StockReserved', …] }. */
  effects: Map<string, string[]>;
}

const EFFECTS = new Set([
  'PaymentCharged',
  'PaymentRefunded',
  'PaymentCaptured',
  'StockReserved',
  'StockReleased',
  'StockShipped',
  'ShipmentScheduled',
  'ShipmentCancelled',
]);

export async function readAllEvents(store: Pick<EventStore, 'readAll'>): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after = START;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 5_000 });
    all.push(...page);
    if (page.length < 5_000) return all;
    after = page[page.length - 1]?.globalPosition ?? after;
  }
}

export function ledgerOf(events: readonly RecordedEvent[]): Ledger {
  const ledger: Ledger = { charged: 0, refunded: 0, captured: 0, reserved: 0, released: 0, shipped: 0, doubled: [], effects: new Map() };
  for (const event of events) {
    if (!EFFECTS.has(event.type)) continue;
    const data = event.data as { orderId: string; amount?: number; qty?: number };
    const list = ledger.effects.get(data.orderId) ?? [];
    if (list.includes(event.type)) ledger.doubled.push(`${data.orderId}:${event.type}`);
    ledger.effects.set(data.orderId, [...list, event.type]);
    if (event.type === 'PaymentCharged') ledger.charged += data.amount ?? 0;
    else if (event.type === 'PaymentRefunded') ledger.refunded += data.amount ?? 0;
    else if (event.type === 'PaymentCaptured') ledger.captured += data.amount ?? 0;
    else if (event.type === 'StockReserved') ledger.reserved += data.qty ?? 0;
    else if (event.type === 'StockReleased') ledger.released += data.qty ?? 0;
    else if (event.type === 'StockShipped') ledger.shipped += data.qty ?? 0;
  }
  return ledger;
}
