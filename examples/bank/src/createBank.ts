/**
 * Wires a bank: the account repository behind a command bus, a transfer handler that moves money
 * between two accounts (and gives it back when the second leg is refused), and validation.
 */
import {
  type CommandBus,
  CommandRejectedError,
  correlation,
  createCommandBus,
  createRepository,
  type Decider,
  type EventStore,
  idempotency,
  type Middleware,
  type SnapshotPolicy,
} from '@eventfold/core';
import { z } from 'zod';
import type { AccountCommand, AccountEvent, BankCommand } from './messages.js';

export interface BankOptions<TState> {
  store: EventStore;
  /** The account decider: `accountDecider`, or `fromAggregate(BankAccount)`. */
  decider: Decider<TState, AccountCommand, AccountEvent>;
  snapshots?: SnapshotPolicy<TState>;
  middleware?: Middleware[];
}

const amount = z.number().int().positive();
const schemas = {
  OpenAccount: z.object({ type: z.literal('OpenAccount'), data: z.object({ accountId: z.string().min(1), owner: z.string().min(1) }) }),
  DepositMoney: z.object({ type: z.literal('DepositMoney'), data: z.object({ accountId: z.string().min(1), amount, transferId: z.string().optional() }) }),
  WithdrawMoney: z.object({ type: z.literal('WithdrawMoney'), data: z.object({ accountId: z.string().min(1), amount, transferId: z.string().optional() }) }),
  TransferMoney: z.object({
    type: z.literal('TransferMoney'),
    data: z.object({ transferId: z.string().min(1), from: z.string().min(1), to: z.string().min(1), amount }),
  }),
};

export function createBank<TState>(options: BankOptions<TState>): {
  commands: CommandBus<BankCommand>;
  accounts: ReturnType<typeof createRepository<TState, AccountCommand, AccountEvent>>;
} {
  const accounts = createRepository({ store: options.store, decider: options.decider, ...(options.snapshots ? { snapshots: options.snapshots } : {}) });
  const commands = createCommandBus<BankCommand>({ middleware: [correlation(), idempotency(), ...(options.middleware ?? [])] });

  commands.register('OpenAccount', (command) => accounts.handle(command.data.accountId, command), { schema: schemas.OpenAccount });
  commands.register('DepositMoney', (command) => accounts.handle(command.data.accountId, command), { schema: schemas.DepositMoney });
  commands.register('WithdrawMoney', (command) => accounts.handle(command.data.accountId, command), { schema: schemas.WithdrawMoney });
  commands.register(
    'TransferMoney',
    async ({ data }) => {
      if (data.from === data.to) throw new CommandRejectedError('SameAccount', `Transfer ${data.transferId} moves money from ${data.from} to itself.`);
      const debit = await commands.dispatch({ type: 'WithdrawMoney', data: { accountId: data.from, amount: data.amount, transferId: data.transferId } });
      try {
        return {
          debit,
          credit: await commands.dispatch({ type: 'DepositMoney', data: { accountId: data.to, amount: data.amount, transferId: data.transferId } }),
        };
      } catch (error) {
        // The money left `from` but cannot reach `to`: give it back, then report why.
        await commands.dispatch({ type: 'DepositMoney', data: { accountId: data.from, amount: data.amount, transferId: data.transferId } });
        throw error;
      }
    },
    { schema: schemas.TransferMoney },
  );
  return { commands, accounts };
}
