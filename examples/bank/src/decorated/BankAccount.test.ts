import { fromAggregate, InvalidInputError } from '@eventfold/core';
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
