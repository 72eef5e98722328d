/** The account's behaviour as given/when/then scenarios, run against both implementations. */
import type { Decider } from '@eventfold/core';
import { deciderFixture } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import type { AccountCommand, AccountEvent } from './messages.js';

const opened: AccountEvent = { type: 'AccountOpened', data: { accountId: 'a1', owner: 'Ada' } };
const credited = (amount: number): AccountEvent => ({ type: 'AccountCredited', data: { amount } });

export function accountScenarios<TState>(decider: Decider<TState, AccountCommand, AccountEvent>, balanceOf: (state: TState) => number): void {
  const account = deciderFixture(decider);

  test('opens a new account', () => {
    account
      .given([])
      .when({ type: 'OpenAccount', data: { accountId: 'a1', owner: 'Ada' } })
      .then([opened]);
  });

  test('refuses to open an account twice', () => {
    account
      .given([opened])
      .when({ type: 'OpenAccount', data: { accountId: 'a1', owner: 'Ada' } })
      .thenThrows('AlreadyOpen');
  });

  test('deposits into an open account', () => {
    const state = account
      .given([opened])
      .when({ type: 'DepositMoney', data: { accountId: 'a1', amount: 250 } })
      .then([credited(250)]);
    expect(balanceOf(state)).toBe(250);
  });

  test('refuses a deposit into an account that is not open', () => {
    account
      .given([])
      .when({ type: 'DepositMoney', data: { accountId: 'a1', amount: 250 } })
      .thenThrows('NotOpen');
  });

  test('withdraws what the balance covers', () => {
    account
      .given([opened, credited(300)])
      .when({ type: 'WithdrawMoney', data: { accountId: 'a1', amount: 300 } })
      .then([{ type: 'AccountDebited', data: { amount: 300 } }]);
  });

  test('rejects a withdrawal when funds are insufficient', () => {
    const error = account
      .given([opened, credited(100)])
      .when({ type: 'WithdrawMoney', data: { accountId: 'a1', amount: 101 } })
      .thenThrows('InsufficientFunds');
    expect(error).toMatchObject({ code: 'EVENTFOLD_COMMAND_REJECTED', reason: 'InsufficientFunds', context: { balance: 100 } });
  });

  test('rejects amounts that are not whole positive cents', () => {
    account
      .given([opened])
      .when({ type: 'DepositMoney', data: { accountId: 'a1', amount: 0 } })
      .thenThrows('InvalidAmount');
  });

  test('carries the transfer id onto the event', () => {
    account
      .given([opened, credited(50)])
      .when({ type: 'WithdrawMoney', data: { accountId: 'a1', amount: 20, transferId: 't1' } })
      .then([{ type: 'AccountDebited', data: { amount: 20, transferId: 't1' } }]);
  });

  test('replays history into the balance', () => {
    account
      .given([opened, credited(100), { type: 'AccountDebited', data: { amount: 30 } }, credited(5)])
      .thenState((state) => expect(balanceOf(state)).toBe(75));
  });
}
