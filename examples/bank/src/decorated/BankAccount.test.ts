import { aggregateSnapshotPolicy, createInMemoryEventStore, createRepository, fromAggregate, InvalidInputError } from '@eventfold/core';
import { describe, expect, test } from 'vitest';
import { accountScenarios } from '../accountScenarios.js';
import type { AccountCommand, AccountEvent } from '../messages.js';
import { BankAccount } from './BankAccount.js';

describe('bank account with decorators', () => {
  const decider = fromAggregate<BankAccount, AccountCommand, AccountEvent>(BankAccount);
  accountScenarios(decider, (state) => state.balance);

  test('the class becomes a decider with the declared types', () => {
    expect(decider.name).toBe('Account');
    expect([...decider.eventTypes].sort()).toEqual(['AccountCredited', 'AccountDebited', 'AccountOpened']);
    expect([...decider.commandTypes].sort()).toEqual(['DepositMoney', 'OpenAccount', 'WithdrawMoney']);
    expect(decider.initialState()).toBeInstanceOf(BankAccount);
  });

  test('a command without a handler is a typed error', () => {
    const state = decider.initialState();
    expect(() => decider.decide({ type: 'CloseAccount' } as unknown as AccountCommand, state)).toThrow(InvalidInputError);
  });

  test('an undecorated class is refused with a fix', () => {
    class Plain {}
    expect(() => fromAggregate(Plain)).toThrow(/not decorated with @Aggregate/);
  });
});

describe('decorated aggregate through the repository', () => {
  test('snapshots of a class restore an instance with the same fields', async () => {
    const store = createInMemoryEventStore();
    const decider = fromAggregate<BankAccount, AccountCommand, AccountEvent>(BankAccount);
    const snapshots = aggregateSnapshotPolicy(BankAccount, { everyEvents: 2, stateVersion: 1 });
    const accounts = createRepository({ store, decider, snapshots });
    await accounts.handle('a1', { type: 'OpenAccount', data: { accountId: 'a1', owner: 'Ada' } });
    for (const amount of [10, 20, 30]) await accounts.handle('a1', { type: 'DepositMoney', data: { accountId: 'a1', amount } });
    expect(await store.snapshots.load('account-a1')).toMatchObject({ streamVersion: 4, state: { status: 'open', owner: 'Ada', balance: 60 } });
    const loaded = await accounts.load('a1');
    expect(loaded).toMatchObject({ snapshotVersion: 4, replayed: 0 });
    expect(loaded.state).toBeInstanceOf(BankAccount);
    expect(loaded.state.balance).toBe(60);
    await expect(accounts.handle('a1', { type: 'WithdrawMoney', data: { accountId: 'a1', amount: 61 } })).rejects.toMatchObject({
      reason: 'InsufficientFunds',
    });
    expect((await accounts.load('a1', { toVersion: 2 })).state.balance).toBe(10);
  });
});
