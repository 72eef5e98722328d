/** The orders service: where a business transaction starts (`OrderPlaced`) and, in choreography, ends. */
import { CommandRejectedError, defineDecider } from '@eventfold/core';
import type { OrderCommand, OrderEvent, OrderLine } from '../messages.js';

export interface OrderState {
  status: 'none' | 'placed' | 'completed' | 'cancelled';
  line: OrderLine | undefined;
}

export const orderDecider = defineDecider<OrderState, OrderCommand, OrderEvent>({
  name: 'Order',
  eventTypes: ['OrderPlaced', 'OrderCompleted', 'OrderCancelled'],
  initialState: () => ({ status: 'none', line: undefined }),
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
  evolve(state, event) {
    switch (event.type) {
      case 'OrderPlaced':
        return { status: 'placed', line: event.data };
      case 'OrderCompleted':
        return { ...state, status: 'completed' };
      case 'OrderCancelled':
        return { ...state, status: 'cancelled' };
    }
  },
});
