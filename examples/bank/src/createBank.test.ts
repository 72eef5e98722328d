import { createInMemoryEventStore, type Decider, fromAggregate, isEventfoldError, ValidationError } from '@eventfold/core';
import { describe, expect, test } from 'vitest';
import { createBank } from './createBank.js';
import { accountDecider } from './decider/accountDecider.js';
import { BankAccount } from './decorated/BankAccount.js';
import type { AccountCommand, AccountEvent } from './messages.js';

const implementations: [string, Decider<unknown, AccountCommand, AccountEvent>, (state: unknown) => number][] = [
  ['decider', accountDecider as Decider<unknown, AccountCommand, AccountEvent>, (s) => (s as { balance: number }).balance],
  ['decorators', fromAggregate(BankAccount) as Decider<unknown, AccountCommand, AccountEvent>, (s) => (s as BankAccount).balance],
];

describe.each(implementations)('bank (%s)', (_name, decider, balanceOf) => {
  async function bankWithTwoAccounts() {
    const store = createInMemoryEventStore();
    const bank = createBank({ store, decider });
    await bank.commands.dispatch({ type: 'OpenAccount', data: { accountId: 'a', owner: 'Ada' } });
    await bank.commands.dispatch({ type: 'OpenAccount', data: { accountId: 'b', owner: 'Bob' } });
    await bank.commands.dispatch({ type: 'DepositMoney', data: { accountId: 'a', amount: 1000 } });
    const balance = async (id: string) => balanceOf((await bank.accounts.load(id)).state);
    return { store, bank, balance };
  }

  test('transfers between two accounts', async () => {
    const { bank, balance, store } = await bankWithTwoAccounts();
    await bank.commands.dispatch({ type: 'TransferMoney', data: { transferId: 't1', from: 'a', to: 'b', amount: 400 } }, { messageId: 'cmd-t1' });
    expect(await balance('a')).toBe(600);
    expect(await balance('b')).toBe(400);
    // Both legs carry the transfer id, share the transfer command's correlation id and name it as cause (via the nested dispatch).
    const legs = (await store.readAll()).filter((e) => (e.data as { transferId?: string }).transferId === 't1');
    expect(legs.map((e) => [e.streamId, e.type])).toEqual([
      ['account-a', 'AccountDebited'],
      ['account-b', 'AccountCredited'],
    ]);
    expect(new Set(legs.map((e) => e.correlationId))).toEqual(new Set(['cmd-t1']));
  });

  test('a transfer beyond the balance is rejected and moves nothing', async () => {
    const { bank, balance } = await bankWithTwoAccounts();
    await expect(bank.commands.dispatch({ type: 'TransferMoney', data: { transferId: 't2', from: 'a', to: 'b', amount: 5000 } })).rejects.toMatchObject({
      reason: 'InsufficientFunds',
    });
    expect([await balance('a'), await balance('b')]).toEqual([1000, 0]);
  });

  test('a transfer to an account that is not open is reversed', async () => {
    const { bank, balance, store } = await bankWithTwoAccounts();
    await expect(bank.commands.dispatch({ type: 'TransferMoney', data: { transferId: 't3', from: 'a', to: 'nobody', amount: 300 } })).rejects.toMatchObject({
      reason: 'NotOpen',
    });
    expect(await balance('a')).toBe(1000);
    const history = (await store.readStream('account-a')).map((e) => e.type);
    expect(history).toEqual(['AccountOpened', 'AccountCredited', 'AccountDebited', 'AccountCredited']);
  });

  test('an invalid command names the failing field', async () => {
    const { bank } = await bankWithTwoAccounts();
    const error = await bank.commands.dispatch({ type: 'DepositMoney', data: { accountId: 'a', amount: -5 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'EVENTFOLD_VALIDATION', path: 'data.amount' });
  });

  test('a retried command with the same id is applied once', async () => {
    const { bank, balance } = await bankWithTwoAccounts();
    const deposit = { type: 'DepositMoney', data: { accountId: 'b', amount: 70 } } as const;
    const [first, second] = await Promise.all([bank.commands.dispatch(deposit, { messageId: 'd-1' }), bank.commands.dispatch(deposit, { messageId: 'd-1' })]);
    await bank.commands.dispatch(deposit, { messageId: 'd-1' });
    expect(second).toBe(first);
    expect(await balance('b')).toBe(70);
  });

  test('rejections are typed errors, not crashes', async () => {
    const { bank } = await bankWithTwoAccounts();
    const error = await bank.commands.dispatch({ type: 'WithdrawMoney', data: { accountId: 'b', amount: 1 } }).catch((e: unknown) => e);
    expect(isEventfoldError(error, 'EVENTFOLD_COMMAND_REJECTED')).toBe(true);
  });
});
