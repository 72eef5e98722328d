/** The same bank account with the decorator API: one class, fields as state, marked handler methods. */
import { Aggregate, CommandHandler, CommandRejectedError, EventSourcingHandler } from '@eventfold/core';
import {
  type AccountCredited,
  type AccountDebited,
  type AccountEvent,
  type AccountOpened,
  type DepositMoney,
  type OpenAccount,
  type WithdrawMoney,
  withTransfer,
} from '../messages.js';

@Aggregate({ name: 'Account' })
export class BankAccount {
  status: 'new' | 'open' = 'new';
  owner = '';
  balance = 0;

  @CommandHandler('OpenAccount')
  open(command: OpenAccount): AccountEvent {
    if (this.status !== 'new') throw new CommandRejectedError('AlreadyOpen', `Account ${command.data.accountId} is already open.`);
    return { type: 'AccountOpened', data: { accountId: command.data.accountId, owner: command.data.owner } };
  }

  @CommandHandler('DepositMoney')
  deposit(command: DepositMoney): AccountEvent {
    this.assertOpen(command.data.accountId);
    BankAccount.assertAmount(command.data.amount);
    return { type: 'AccountCredited', data: withTransfer({ amount: command.data.amount }, command.data.transferId) };
  }

  @CommandHandler('WithdrawMoney')
  withdraw(command: WithdrawMoney): AccountEvent {
    this.assertOpen(command.data.accountId);
    BankAccount.assertAmount(command.data.amount);
    if (this.balance < command.data.amount) {
      throw new CommandRejectedError('InsufficientFunds', `Account ${command.data.accountId} holds ${this.balance}, less than ${command.data.amount}.`, {
        balance: this.balance,
      });
    }
    return { type: 'AccountDebited', data: withTransfer({ amount: command.data.amount }, command.data.transferId) };
  }

  @EventSourcingHandler('AccountOpened')
  opened(event: AccountOpened): void {
    this.status = 'open';
    this.owner = event.data.owner;
  }

  @EventSourcingHandler('AccountCredited')
  credited(event: AccountCredited): void {
    this.balance += event.data.amount;
  }

  @EventSourcingHandler('AccountDebited')
  debited(event: AccountDebited): void {
    this.balance -= event.data.amount;
  }

  private assertOpen(accountId: string): void {
    if (this.status !== 'open') throw new CommandRejectedError('NotOpen', `Account ${accountId} is not open.`);
  }

  private static assertAmount(amount: number): void {
    if (!Number.isInteger(amount) || amount <= 0) throw new CommandRejectedError('InvalidAmount', `Amount ${amount} must be a whole number of cents above 0.`);
  }
}
