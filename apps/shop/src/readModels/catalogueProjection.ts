/** The catalogue read side (SQLite): stock levels per product and a full-text index (FTS5) over products. */
import { defineProjection, type Projection, type RecordedEvent } from '@eventfold/core';
import type { Database, Statement } from 'better-sqlite3';
import { domainOnly } from './domainOnly.js';

export const CATALOGUE_PROJECTION = 'shop-catalogue';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shop_stock (
  sku TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, unit_price INTEGER NOT NULL,
  available INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0, shipped INTEGER NOT NULL DEFAULT 0, received INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS shop_products_fts USING fts5(sku UNINDEXED, name, description);
`;

type Qty = { sku: string; quantity: number };
// Prepared once per connection: compiling SQL per event would dominate.
const statements = new WeakMap<Database, Record<'change' | 'list' | 'fts', Statement>>();
function sql(db: Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      change: db.prepare(
        'UPDATE shop_stock SET available = available + ?, reserved = reserved + ?, shipped = shipped + ?, received = received + ? WHERE sku = ?',
      ),
      list: db.prepare(
        'INSERT INTO shop_stock (sku, name, description, unit_price, available, received) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO NOTHING',
      ),
      fts: db.prepare('INSERT INTO shop_products_fts (sku, name, description) VALUES (?, ?, ?)'),
    };
    statements.set(db, s);
  }
  return s;
}

const change = (available: number, reserved: number, shipped: number, received: number) => (event: RecordedEvent, db: Database) => {
  const { sku, quantity } = event.data as unknown as Qty;
  sql(db).change.run(available * quantity, reserved * quantity, shipped * quantity, received * quantity, sku);
};

export function catalogueProjection(): Projection<Database> {
  return defineProjection<Database>({
    name: CATALOGUE_PROJECTION,
    init: (db) => {
      db.exec(SCHEMA);
    },
    reset: (db) => {
      db.exec('DELETE FROM shop_stock; DELETE FROM shop_products_fts;');
    },
    handlers: domainOnly<Database>({
      StockListed(event, db) {
        const d = event.data as { sku: string; name: string; description: string; unitPrice: number; quantity: number };
        if (sql(db).list.run(d.sku, d.name, d.description, d.unitPrice, d.quantity, d.quantity).changes > 0) sql(db).fts.run(d.sku, d.name, d.description);
      },
      StockAdded: change(1, 0, 0, 1),
      StockReserved: change(-1, 1, 0, 0),
      StockReleased: change(1, -1, 0, 0),
      StockShipped: change(0, -1, 1, 0),
    }),
  });
}
