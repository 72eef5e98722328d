/**
 * The inventory context's reservation for one order (stream `reservation-<orderId>`): the record of
 * what the order holds across stock items. A release that arrives before the reservation request
 * (cancellation overtaking it) closes the reservation, so the late request reserves nothing.
 */
import { type Command, defineDecider } from '@eventfold/core';

export type ReservedLine = {
  sku: string;
  quantity: number;
};

export type ReservationStatus = 'none' | 'confirmed' | 'rejected' | 'released' | 'committed';

export interface ReservationState {
  status: ReservationStatus;
  lines: ReservedLine[];
}

export type ReservationCommand =
  | Command<'ConfirmReservation', { orderId: string; lines: ReservedLine[] }>
  | Command<'RejectReservation', { orderId: string; sku: string; requested: number; available: number }>
  | Command<'ReleaseReservation', { orderId: string; reason: string }>
  | Command<'CommitReservation', { orderId: string }>;

export type ReservationEvent =
  | { type: 'ReservationConfirmed'; data: { orderId: string; lines: ReservedLine[] } }
  | { type: 'ReservationRejected'; data: { orderId: string; sku: string; requested: number; available: number } }
  | { type: 'ReservationReleased'; data: { orderId: string; lines: ReservedLine[]; reason: string } }
  | { type: 'ReservationCommitted'; data: { orderId: string; lines: ReservedLine[] } };

export const reservationDecider = defineDecider<ReservationState, ReservationCommand, ReservationEvent>({
  name: 'Reservation',
  eventTypes: ['ReservationConfirmed', 'ReservationRejected', 'ReservationReleased', 'ReservationCommitted'],
  initialState: () => ({ status: 'none', lines: [] }),
  decide(command, state) {
    const { orderId } = command.data;
    switch (command.type) {
      case 'ConfirmReservation':
        return state.status === 'none' ? { type: 'ReservationConfirmed', data: { orderId, lines: command.data.lines } } : [];
      case 'RejectReservation':
        return state.status === 'none' ? { type: 'ReservationRejected', data: command.data } : [];
      case 'ReleaseReservation':
        return state.status === 'none' || state.status === 'confirmed'
          ? { type: 'ReservationReleased', data: { orderId, lines: state.lines, reason: command.data.reason } }
          : [];
      case 'CommitReservation':
        return state.status === 'confirmed' ? { type: 'ReservationCommitted', data: { orderId, lines: state.lines } } : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ReservationConfirmed':
        return { status: 'confirmed', lines: event.data.lines };
      case 'ReservationRejected':
        return { ...state, status: 'rejected' };
      case 'ReservationReleased':
        return { ...state, status: 'released' };
      case 'ReservationCommitted':
        return { ...state, status: 'committed' };
    }
  },
});
