/**
 * The order read side (SQLite): the order list with its status and each context's progress, the
 * order's timeline, each customer's activity log, revenue per day and a full-text index (FTS5) over
 * orders. Fed by every context's events; handlers are synchronous (one SQLite transaction per batch
 * together with the checkpoint).
 */
import { defineProjection, type Projection, type RecordedEvent } from '@eventfold/core';
import type { Database, Statement } from 'better-sqlite3';
import { domainOnly } from './domainOnly.js';

export const ORDERS_PROJECTION = 'shop-orders';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shop_orders (
  order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
  total INTEGER NOT NULL, lines TEXT NOT NULL, city TEXT NOT NULL, placed_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  payment TEXT NOT NULL DEFAULT 'pending', stock TEXT NOT NULL DEFAULT 'pending', shipment TEXT NOT NULL DEFAULT 'pending',
  tracking_number TEXT, position TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shop_orders_customer ON shop_orders (customer_id, placed_at);
CREATE INDEX IF NOT EXISTS shop_orders_status ON shop_orders (status, placed_at);
CREATE INDEX IF NOT EXISTS shop_orders_placed ON shop_orders (placed_at, order_id);
-- Orders that reached a terminal state, by last change: "what finished since position P" (the load
-- driver follows outcomes this way) reads only those rows.
CREATE INDEX IF NOT EXISTS shop_orders_finished ON shop_orders (position) WHERE status IN ('completed', 'rejected', 'cancelled');
CREATE TABLE IF NOT EXISTS shop_timeline (
  order_id TEXT NOT NULL, position TEXT NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (order_id, position));
CREATE TABLE IF NOT EXISTS shop_customer_activity (
  customer_id TEXT NOT NULL, position TEXT NOT NULL, order_id TEXT NOT NULL, type TEXT NOT NULL, occurred_at TEXT NOT NULL,
  PRIMARY KEY (customer_id, position));
CREATE TABLE IF NOT EXISTS shop_revenue (day TEXT PRIMARY KEY, orders INTEGER NOT NULL, revenue INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS shop_orders_fts USING fts5(order_id UNINDEXED, body);
`;

type Sql = Record<string, Statement>;
const cache = new WeakMap<Database, Sql>();
function sql(db: Database): Sql {
  let s = cache.get(db);
  if (!s) {
    s = {
      insertOrder: db.prepare(
        `INSERT INTO shop_orders (order_id, customer_id, status, total, lines, city, placed_at, updated_at, position)
         VALUES (@orderId, @customerId, 'placed', @total, @lines, @city, @at, @at, @position) ON CONFLICT (order_id) DO NOTHING`,
      ),
      status: db.prepare('UPDATE shop_orders SET status = ?, reason = ?, updated_at = ?, position = ? WHERE order_id = ?'),
      customerOf: db.prepare('SELECT customer_id FROM shop_orders WHERE order_id = ?').pluck(),
      timeline: db.prepare('INSERT OR IGNORE INTO shop_timeline (order_id, position, type, occurred_at, data) VALUES (?, ?, ?, ?, ?)'),
      activity: db.prepare('INSERT OR IGNORE INTO shop_customer_activity (customer_id, position, order_id, type, occurred_at) VALUES (?, ?, ?, ?, ?)'),
      revenue: db.prepare(
        'INSERT INTO shop_revenue (day, orders, revenue) VALUES (?, 1, ?) ON CONFLICT (day) DO UPDATE SET orders = orders + 1, revenue = revenue + excluded.revenue',
      ),
      fts: db.prepare('INSERT INTO shop_orders_fts (order_id, body) VALUES (?, ?)'),
      payment: db.prepare('UPDATE shop_orders SET payment = ?, updated_at = ?, position = max(position, ?) WHERE order_id = ?'),
      stock: db.prepare('UPDATE shop_orders SET stock = ?, updated_at = ?, position = max(position, ?) WHERE order_id = ?'),
      shipment: db.prepare(
        'UPDATE shop_orders SET shipment = ?, tracking_number = coalesce(?, tracking_number), updated_at = ?, position = max(position, ?) WHERE order_id = ?',
      ),
    };
    cache.set(db, s);
  }
  return s;
}

/**
 * Global positions as fixed-width text: PostgreSQL positions (transaction id and sequence) exceed
 * 2^53, so numbers would lose precision; zero-padded text sorts and compares like the bigint.
 */
export function positionKey(position: bigint): string {
  return position.toString().padStart(40, '0');
}

/** The position as the API shows it. */
export function positionText(key: string): string {
  return BigInt(key).toString();
}

interface OrderData {
  orderId: string;
  customerId?: string;
  total?: number;
  reason?: string;
  trackingNumber?: string;
  lines?: { sku: string; quantity: number }[];
  shippingAddress?: { name: string; city: string; country: string };
}

/**
 * Customers of recent orders, per database: an order's customer never changes, and every event of the
 * order needs it for the activity log (a lookup by primary key each time otherwise). Bounded; a miss reads the row.
 */
const customers = new WeakMap<Database, Map<string, string>>();
const KEPT_CUSTOMERS = 10_000;

function knownCustomers(db: Database): Map<string, string> {
  let known = customers.get(db);
  if (known === undefined) {
    known = new Map();
    customers.set(db, known);
  }
  return known;
}

function rememberCustomer(db: Database, orderId: string, customerId: string): void {
  const known = knownCustomers(db);
  known.set(orderId, customerId);
  if (known.size > KEPT_CUSTOMERS) known.delete(known.keys().next().value as string);
}

function customerOf(db: Database, orderId: string): string | undefined {
  const cached = knownCustomers(db).get(orderId);
  if (cached !== undefined) return cached;
  const customer = sql(db).customerOf?.get(orderId) as string | undefined;
  if (customer !== undefined) rememberCustomer(db, orderId, customer);
  return customer;
}

/** Writes the timeline row (and the customer activity row when the customer is known). */
function record(db: Database, event: RecordedEvent): void {
  const s = sql(db);
  const d = event.data as unknown as OrderData;
  const at = event.occurredAt.toISOString();
  const position = positionKey(event.globalPosition);
  s.timeline?.run(d.orderId, position, event.type, at, JSON.stringify(event.data));
  const customer = customerOf(db, d.orderId);
  if (customer !== undefined) s.activity?.run(customer, position, d.orderId, event.type, at);
}

const progress = (column: 'payment' | 'stock' | 'shipment', value: string) => (event: RecordedEvent, db: Database) => {
  record(db, event);
  const d = event.data as unknown as OrderData;
  const at = event.occurredAt.toISOString();
  const position = positionKey(event.globalPosition);
  if (column === 'shipment') sql(db).shipment?.run(value, d.trackingNumber ?? null, at, position, d.orderId);
  else sql(db)[column]?.run(value, at, position, d.orderId);
};

const status = (value: string) => (event: RecordedEvent, db: Database) => {
  record(db, event);
  const d = event.data as unknown as OrderData;
  sql(db).status?.run(value, d.reason ?? null, event.occurredAt.toISOString(), positionKey(event.globalPosition), d.orderId);
  if (value === 'completed') sql(db).revenue?.run(event.occurredAt.toISOString().slice(0, 10), d.total ?? 0);
};

export function ordersProjection(): Projection<Database> {
  return defineProjection<Database>({
    name: ORDERS_PROJECTION,
    init: (db) => {
      db.exec(SCHEMA);
    },
    reset: (db) => {
      db.exec('DELETE FROM shop_orders; DELETE FROM shop_timeline; DELETE FROM shop_customer_activity; DELETE FROM shop_revenue; DELETE FROM shop_orders_fts;');
    },
    handlers: domainOnly<Database>({
      OrderPlaced(event, db) {
        const d = event.data as unknown as Required<OrderData>;
        const at = event.occurredAt.toISOString();
        sql(db).insertOrder?.run({
          orderId: d.orderId,
          customerId: d.customerId,
          total: d.total,
          lines: JSON.stringify(d.lines),
          city: d.shippingAddress.city,
          at,
          position: positionKey(event.globalPosition),
        });
        const body = [d.orderId, d.customerId, d.shippingAddress.name, d.shippingAddress.city, d.shippingAddress.country, ...d.lines.map((l) => l.sku)].join(
          ' ',
        );
        sql(db).fts?.run(d.orderId, body);
        rememberCustomer(db, d.orderId, d.customerId);
        record(db, event);
      },
      OrderCompleted: status('completed'),
      OrderRejected: status('rejected'),
      OrderCancelled: status('cancelled'),
      PaymentAuthorized: progress('payment', 'authorized'),
      PaymentDeclined: progress('payment', 'declined'),
      PaymentCaptured: progress('payment', 'captured'),
      PaymentVoided: progress('payment', 'voided'),
      PaymentRefunded: progress('payment', 'refunded'),
      PaymentCancelled: progress('payment', 'cancelled'),
      ReservationConfirmed: progress('stock', 'reserved'),
      ReservationRejected: progress('stock', 'out_of_stock'),
      ReservationReleased: progress('stock', 'released'),
      ReservationCommitted: progress('stock', 'shipped'),
      ShipmentScheduled: progress('shipment', 'scheduled'),
      ShipmentCancelled: progress('shipment', 'cancelled'),
    }),
  });
}
