/** The bank account as a decider: pure functions over plain data. */
import { CommandRejectedError, defineDecider } from '@eventfold/core';
import { type AccountCommand, type AccountEvent, withTransfer } from '../messages.js';

export interface AccountState {
  status: 'new' | 'open';
  owner: string;
  balance: number;
}

function assertAmount(amount: number): void {
  if (!Number.isInteger(amount) || amount <= 0) throw new CommandRejectedError('InvalidAmount', `Amount ${amount} must be a whole number of cents above 0.`);
}

export const accountDecider = defineDecider<AccountState, AccountCommand, AccountEvent>({
  name: 'Account',
  eventTypes: ['AccountOpened', 'AccountCredited', 'AccountDebited'],
  initialState: () => ({ status: 'new', owner: '', balance: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'OpenAccount':
        if (state.status !== 'new') throw new CommandRejectedError('AlreadyOpen', `Account ${command.data.accountId} is already open.`);
        return { type: 'AccountOpened', data: { accountId: command.data.accountId, owner: command.data.owner } };
      case 'DepositMoney':
        if (state.status !== 'open') throw new CommandRejectedError('NotOpen', `Account ${command.data.accountId} is not open.`);
        assertAmount(command.data.amount);
        return { type: 'AccountCredited', data: withTransfer({ amount: command.data.amount }, command.data.transferId) };
      case 'WithdrawMoney':
        if (state.status !== 'open') throw new CommandRejectedError('NotOpen', `Account ${command.data.accountId} is not open.`);
        assertAmount(command.data.amount);
        if (state.balance < command.data.amount) {
          throw new CommandRejectedError('InsufficientFunds', `Account ${command.data.accountId} holds ${state.balance}, less than ${command.data.amount}.`, {
            balance: state.balance,
          });
        }
        return { type: 'AccountDebited', data: withTransfer({ amount: command.data.amount }, command.data.transferId) };
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'AccountOpened':
        return { status: 'open', owner: event.data.owner, balance: 0 };
      case 'AccountCredited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'AccountDebited':
        return { ...state, balance: state.balance - event.data.amount };
    }
  },
});
