/** Small deciders used by this folder's tests. */
import { CommandRejectedError } from './commandRejectedError.js';
import { defineDecider } from './decider.js';

export type CounterEvent = { type: 'CounterAdded'; data: { amount: number } };
export type CounterCommand = { type: 'AddToCounter'; data: { amount: number } } | { type: 'NoOp'; data: null };

/** State is a running total plus the list of amounts, so order mistakes show. */
export const counterDecider = defineDecider<{ total: number; amounts: number[] }, CounterCommand, CounterEvent>({
  name: 'Counter',
  eventTypes: ['CounterAdded'],
  initialState: () => ({ total: 0, amounts: [] }),
  decide(command) {
    if (command.type === 'NoOp') return [];
    if (command.data.amount === 0) throw new CommandRejectedError('Zero', 'Adding 0 changes nothing; send a non-zero amount.');
    return { type: 'CounterAdded', data: { amount: command.data.amount } };
  },
  evolve: (state, event) => ({ total: state.total + event.data.amount, amounts: [...state.amounts, event.data.amount] }),
});
