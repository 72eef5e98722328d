import { ProjectionTimeoutError } from '@eventfold/core';
import { projectionFixture } from '@eventfold/core/testing';
import { createSqliteEventStore } from '@eventfold/sqlite';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { expect, test } from 'vitest';
import { createBank } from './createBank.js';
import { accountBalances, createBankReadModel } from './createBankReadModel.js';
import { accountDecider } from './decider/accountDecider.js';

test('given account events, then the balances read model', async () => {
  await projectionFixture(accountBalances, {
    context: () => new BetterSqlite3(':memory:'),
    read: (db: Database) => db.prepare('SELECT account_id, owner, balance FROM account_balances ORDER BY account_id').all(),
  })
    .given([
      { type: 'AccountOpened', streamId: 'account-a', data: { accountId: 'a', owner: 'Ada' } },
      { type: 'AccountCredited', streamId: 'account-a', data: { amount: 100 } },
      { type: 'AccountDebited', streamId: 'account-a', data: { amount: 30 } },
      { type: 'AccountOpened', streamId: 'account-b', data: { accountId: 'b', owner: 'Bob' } },
    ])
    .then([
      { account_id: 'a', owner: 'Ada', balance: 70 },
      { account_id: 'b', owner: 'Bob', balance: 0 },
    ]);
});

test('read-your-writes: a query after a deposit waits for the projection, and times out typed when it is paused', async () => {
  const store = createSqliteEventStore({ path: ':memory:' });
  const bank = createBank({ store, decider: accountDecider });
  const { runner, queries } = createBankReadModel(store);
  await runner.start();
  await bank.commands.dispatch({ type: 'OpenAccount', data: { accountId: 'a', owner: 'Ada' } });
  const { globalPosition } = await bank.commands.dispatch<{ globalPosition: bigint }>({ type: 'DepositMoney', data: { accountId: 'a', amount: 250 } });
  const balance = await queries.execute({ type: 'GetBalance', accountId: 'a' }, { consistency: { projection: 'account-balances', position: globalPosition } });
  expect(balance).toEqual({ owner: 'Ada', balance: 250 });

  await runner.pause();
  const later = await bank.commands.dispatch<{ globalPosition: bigint }>({ type: 'DepositMoney', data: { accountId: 'a', amount: 1 } });
  await expect(
    queries.execute({ type: 'GetBalance', accountId: 'a' }, { consistency: { projection: 'account-balances', position: later.globalPosition, timeoutMs: 50 } }),
  ).rejects.toBeInstanceOf(ProjectionTimeoutError);
  runner.resume();
  await runner.stop();
  await store.close();
});
