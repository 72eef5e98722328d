/**
 * The bank's read side on SQLite: a balances projection kept by an asynchronous runner (its
 * checkpoint commits with the table), and a query bus whose queries can wait for it to catch up.
 */
import {
  createPositionWaiter,
  createQueryBus,
  defineProjection,
  type Projection,
  type ProjectionRunner,
  type QueryBus,
  type RecordedEvent,
} from '@eventfold/core';
import { createSqliteProjectionRunner, type SqliteEventStore } from '@eventfold/sqlite';
import type { Database } from 'better-sqlite3';

type BalanceEvent =
  | RecordedEvent<'AccountOpened', { accountId: string; owner: string }>
  | RecordedEvent<'AccountCredited', { amount: number }>
  | RecordedEvent<'AccountDebited', { amount: number }>;

export const accountBalances: Projection<Database> = defineProjection<Database, BalanceEvent>({
  name: 'account-balances',
  init: (db) => {
    db.exec('CREATE TABLE IF NOT EXISTS account_balances (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL)');
  },
  reset: (db) => {
    db.exec('DELETE FROM account_balances');
  },
  handlers: {
    AccountOpened: (event, db) => {
      db.prepare('INSERT INTO account_balances (account_id, owner, balance) VALUES (?, ?, 0)').run(event.data.accountId, event.data.owner);
    },
    AccountCredited: (event, db) => {
      db.prepare("UPDATE account_balances SET balance = balance + ? WHERE 'account-' || account_id = ?").run(event.data.amount, event.streamId);
    },
    AccountDebited: (event, db) => {
      db.prepare("UPDATE account_balances SET balance = balance - ? WHERE 'account-' || account_id = ?").run(event.data.amount, event.streamId);
    },
  },
});

export type BankQuery = { type: 'GetBalance'; accountId: string };

export function createBankReadModel(store: SqliteEventStore): { runner: ProjectionRunner; queries: QueryBus<BankQuery> } {
  const runner = createSqliteProjectionRunner(store, accountBalances, { pollIntervalMs: 10 });
  const queries = createQueryBus<BankQuery>({ waitForPosition: createPositionWaiter({ runners: [runner] }) });
  queries.register('GetBalance', (query) => {
    const row = store.db.prepare('SELECT owner, balance FROM account_balances WHERE account_id = ?').get(query.accountId) as
      | { owner: string; balance: number }
      | undefined;
    return row ?? null;
  });
  return { runner, queries };
}
