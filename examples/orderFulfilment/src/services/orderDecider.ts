/** The orders service: where a business transaction starts (`OrderPlaced`) and, in choreography, ends. */
import { CommandRejectedError, defineDecider } from '@eventfold/core';
import type { OrderCommand, OrderEvent } from '../messages.js';

export interface OrderState {
  status: 'none' | 'placed' | 'completed' | 'cancelled';
}

export const orderDecider = defineDecider<OrderState, OrderCommand, OrderEvent>({
  name: 'Order',
  eventTypes: ['OrderPlaced', 'OrderCompleted', 'OrderCancelled'],
  initialState: () => ({ status: 'none' }),
  decide(command, state) {
    switch (command.type) {
      case 'PlaceOrder':
        if (state.status !== 'none') throw new CommandRejectedError('AlreadyPlaced', `Order ${command.data.orderId} was already placed.`);
        return { type: 'OrderPlaced', data: command.data };
      case 'CompleteOrder':
        return state.status === 'placed' ? { type: 'OrderCompleted', data: command.data } : [];
      case 'CancelOrder':
        return state.status === 'placed' ? { type: 'OrderCancelled', data: command.data } : [];
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'placed' };
      case 'OrderCompleted':
        return { status: 'completed' };
      case 'OrderCancelled':
        return { status: 'cancelled' };
    }
  },
});
