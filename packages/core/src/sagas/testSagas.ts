/** A small saga for the core's own tests: book a trip — flight, hotel, car — each with a cancellation. */
import { defineSaga } from './defineSaga.js';

export type TripData = { tripId: string };
export type TripEvent =
  | { type: 'TripRequested'; data: { tripId: string } }
  | { type: 'FlightBooked'; data: { tripId: string } }
  | { type: 'FlightUnavailable'; data: { tripId: string } }
  | { type: 'FlightCancelled'; data: { tripId: string } }
  | { type: 'HotelBooked'; data: { tripId: string } }
  | { type: 'HotelBusy'; data: { tripId: string } }
  | { type: 'HotelFull'; data: { tripId: string } }
  | { type: 'HotelCancelled'; data: { tripId: string } }
  | { type: 'CarBooked'; data: { tripId: string } }
  | { type: 'CarUnavailable'; data: { tripId: string } };

export const tripSaga = defineSaga<TripData, TripEvent>({
  name: 'Trip',
  startedBy: { TripRequested: (e) => ({ sagaId: e.data.tripId, data: { tripId: e.data.tripId } }) },
  associate: (e) => e.data.tripId,
  steps: [
    {
      name: 'flight',
      action: (d) => ({ type: 'BookFlight', data: d, to: 'airline' }),
      replies: { FlightBooked: 'ok', FlightUnavailable: 'fail' },
      timeoutMs: 10_000,
      compensation: {
        action: (d) => ({ type: 'CancelFlight', data: d, to: 'airline' }),
        replies: { FlightCancelled: 'ok' },
        timeoutMs: 5_000,
        retry: { maxAttempts: 2, initialDelayMs: 1_000 },
      },
    },
    {
      name: 'hotel',
      action: (d, c) => ({ type: 'BookHotel', data: { ...d, attempt: c.attempt }, to: 'hotel' }),
      replies: { HotelBooked: 'ok', HotelBusy: 'retry', HotelFull: (e) => ({ outcome: 'fail', reason: `hotel full for ${e.data.tripId}` }) },
      retry: { maxAttempts: 3, initialDelayMs: 1_000, multiplier: 2, jitter: 0 },
      timeoutMs: 10_000,
      compensation: { action: (d) => ({ type: 'CancelHotel', data: d, to: 'hotel' }), replies: { HotelCancelled: 'ok' }, timeoutMs: 5_000 },
    },
    {
      name: 'car',
      action: (d) => ({ type: 'BookCar', data: d, to: 'cars' }),
      replies: { CarBooked: 'ok', CarUnavailable: 'fail' },
      // Cars are cancelled by e-mail: nothing comes back, so the cancellation counts as done once sent.
      compensation: { action: (d) => ({ type: 'CancelCar', data: d, to: 'cars' }) },
      timeoutMs: 10_000,
    },
  ],
  onCompleted: (d) => [{ type: 'SendItinerary', data: d, to: 'mail' }],
});

export const trip = (type: TripEvent['type'], tripId = 't1') => ({ type, data: { tripId } }) as TripEvent;
