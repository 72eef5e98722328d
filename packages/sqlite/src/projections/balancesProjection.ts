/**
 * A `balance += amount` read model used by this folder's tests and the kill test's child process.
 * `applied` counts how often each event was applied: exactly-once means every count is 1.
 */
import { defineProjection, type Projection, type RecordedEvent } from '@eventfold/core';
import type { Database, Statement } from 'better-sqlite3';

// Prepared once per connection: compiling SQL per event would dominate a rebuild.
const statements = new WeakMap<Database, { credit: Statement; applied: Statement }>();
function prepared(db: Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      credit: db.prepare('INSERT INTO balances (account, balance) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance'),
      applied: db.prepare('INSERT INTO applied (global_position, times) VALUES (?, 1) ON CONFLICT (global_position) DO UPDATE SET times = times + 1'),
    };
    statements.set(db, s);
  }
  return s;
}

export type Credited = RecordedEvent<'AccountCredited', { amount: number }>;

export function balancesProjection(options: { name?: string; pauseInBatch?: () => void } = {}): Projection<Database> {
  return defineProjection<Database, Credited>({
    name: options.name ?? 'balances',
    init: (db) => {
      db.exec(`CREATE TABLE IF NOT EXISTS balances (account TEXT PRIMARY KEY, balance INTEGER NOT NULL);
               CREATE TABLE IF NOT EXISTS applied (global_position INTEGER PRIMARY KEY, times INTEGER NOT NULL)`);
    },
    reset: (db) => {
      db.exec('DELETE FROM balances; DELETE FROM applied');
    },
    handlers: {
      AccountCredited(event, db) {
        const s = prepared(db);
        s.credit.run(event.streamId, event.data.amount);
        s.applied.run(Number(event.globalPosition));
        options.pauseInBatch?.();
      },
    },
  });
}

export function readBalances(db: Database): Record<string, number> {
  const rows = db.prepare('SELECT account, balance FROM balances ORDER BY account').all() as { account: string; balance: number }[];
  return Object.fromEntries(rows.map((r) => [r.account, r.balance]));
}

/** The expected read model: a plain fold over every event in the log. */
export function replayBalances(events: readonly RecordedEvent[]): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const e of events) if (e.type === 'AccountCredited') balances[e.streamId] = (balances[e.streamId] ?? 0) + (e.data as { amount: number }).amount;
  return Object.fromEntries(Object.entries(balances).sort(([a], [b]) => (a < b ? -1 : 1)));
}
