import { describe, expect, test } from 'vitest';
import { checkEventNames } from '../eventsourcing/checkEventNames.js';
import { sagaFixture } from '../testing/sagas/sagaFixture.js';
import { defineSaga } from './defineSaga.js';
import { SAGA_LOG_EVENT_TYPES } from './sagaLog.js';
import { type TripData, type TripEvent, trip, tripSaga } from './testSagas.js';

const fixture = sagaFixture(tripSaga);

describe('decideSaga', () => {
  test('runs the steps in order, then sends the completion commands', () => {
    fixture
      .given()
      .when(trip('TripRequested'))
      .thenCommands([{ type: 'BookFlight', to: 'airline' }])
      .thenStatus('Running');
    fixture
      .given([trip('TripRequested'), trip('FlightBooked'), trip('HotelBooked')])
      .when(trip('CarBooked'))
      .thenCommands([{ type: 'SendItinerary', data: { tripId: 't1' } }])
      .thenLog(['SagaStepSucceeded', 'SagaCommandIssued', 'SagaCompleted'])
      .thenStatus('Completed');
  });

  test('a failed step compensates the succeeded steps in reverse order', () => {
    const given = fixture.given([trip('TripRequested'), trip('FlightBooked'), trip('HotelBooked')]);
    given
      .when(trip('CarUnavailable'))
      .thenCompensations([{ type: 'CancelHotel' }])
      .thenStatus('Compensating');
    given.when(trip('HotelCancelled')).thenCompensations([{ type: 'CancelFlight' }]);
    given.when(trip('FlightCancelled')).thenCommands([]).thenStatus('Compensated');
    expect(given.state.failure).toBe('CarUnavailable');
  });

  test('a step that times out is compensated itself, because its action may have happened', () => {
    const given = fixture.given([trip('TripRequested'), trip('FlightBooked'), trip('HotelBooked'), { advance: 9_999 }]);
    expect(given.state.status).toBe('Running');
    given
      .when({ advance: 1 })
      .thenLog(['SagaStepExpired', 'SagaStepFailed', 'SagaCommandIssued', 'SagaCompensationSucceeded', 'SagaCommandIssued'])
      .thenCompensations([{ type: 'CancelCar' }, { type: 'CancelHotel' }]);
    expect(given.state.failure).toBe('step "car" timed out');
  });

  test('a transient failure is retried with exponential backoff, then the saga compensates', () => {
    const given = fixture.given([trip('TripRequested'), trip('FlightBooked')]);
    given.when(trip('HotelBusy')).thenCommands([]).thenLog(['SagaRetryScheduled', 'SagaTimerScheduled']);
    given.when({ advance: 999 }).thenCommands([]);
    given.when({ advance: 1 }).thenCommands([{ type: 'BookHotel', data: { tripId: 't1', attempt: 2 } }]);
    given.when(trip('HotelBusy')).thenCommands([]);
    given.when({ advance: 1_999 }).thenCommands([]);
    given.when({ advance: 1 }).thenCommands([{ type: 'BookHotel', data: { tripId: 't1', attempt: 3 } }]);
    given
      .when(trip('HotelBusy'))
      .thenCompensations([{ type: 'CancelFlight' }])
      .thenStatus('Compensating');
  });

  test('a retry and a late success: the success counts, whichever attempt it answers', () => {
    const given = fixture.given([trip('TripRequested'), trip('FlightBooked'), trip('HotelBusy')]);
    given.when(trip('HotelBooked')).thenCommands([{ type: 'BookCar' }]);
    given.when({ advance: 9_999 }).thenLog([]); // the stale retry timer changes nothing
    expect(given.state.step).toBe('car');
    given.when({ advance: 1 }).thenLog(['SagaStepExpired', 'SagaStepFailed', 'SagaCommandIssued', 'SagaCompensationSucceeded', 'SagaCommandIssued']);
  });

  test('a compensation that keeps timing out needs attention; an operator retry starts a new budget', () => {
    const given = fixture.given([trip('TripRequested'), trip('FlightBooked'), trip('HotelFull')]);
    expect(given.state.status).toBe('Compensating');
    given.when({ advance: 5_000 }).thenLog(['SagaStepExpired', 'SagaRetryScheduled', 'SagaTimerScheduled']);
    given.when({ advance: 1_000 }).thenCompensations([{ type: 'CancelFlight' }]);
    given.when({ advance: 5_000 }).thenLog(['SagaStepExpired', 'SagaAttentionRequested']).thenStatus('NeedsAttention');
    expect(given.state.attention).toMatchObject({ saga: 'Trip', sagaId: 't1', step: 'flight', phase: 'compensation', attempts: 2 });
    given.when(trip('HotelBooked')).thenCommands([]).thenStatus('NeedsAttention'); // not what it waits for
    given
      .when({ operator: 'retry' })
      .thenCompensations([{ type: 'CancelFlight' }])
      .thenStatus('Compensating');
    given.when(trip('FlightCancelled')).thenStatus('Compensated');
  });

  test('late timers, duplicate starts and replies nobody waits for change nothing', () => {
    const done = fixture.given([trip('TripRequested'), trip('FlightBooked'), trip('HotelBooked'), trip('CarBooked')]);
    done.when({ advance: 3_600_000 }).thenLog([]).thenStatus('Completed');
    done.when(trip('TripRequested')).thenLog([]);
    done.when(trip('FlightUnavailable')).thenLog([]);
    fixture.given().when(trip('FlightBooked')).thenLog([]).thenStatus('New');
  });

  test('an outside failure with compensateStep compensates the step in flight too; onCompensated says why it failed', () => {
    const cancellable = defineSaga<TripData, TripEvent | { type: 'TripCancelled'; data: { tripId: string } }>({
      ...tripSaga,
      name: 'CancellableTrip',
      steps: tripSaga.steps.map((s) => ({
        ...s,
        replies: { ...s.replies, TripCancelled: () => ({ outcome: 'fail' as const, reason: 'cancelled', compensateStep: true }) },
      })),
      onCompensated: (d, { reason }) => (reason === 'cancelled' ? [] : [{ type: 'TellTraveller', data: { ...d, reason }, to: 'mail' }]),
    });
    const f = sagaFixture(cancellable);
    const given = f.given([trip('TripRequested'), trip('FlightBooked')]);
    // The hotel booking is out: it may still happen, so it is cancelled too (before the flight).
    given
      .when({ type: 'TripCancelled', data: { tripId: 't1' } })
      .thenCompensations([{ type: 'CancelHotel' }])
      .thenStatus('Compensating');
    given.when(trip('HotelCancelled')).thenCompensations([{ type: 'CancelFlight' }]);
    given.when(trip('FlightCancelled')).thenCommands([]).thenStatus('Compensated');
    // The step's own failure reply compensates only the steps that succeeded, then onCompensated reports the reason.
    const full = f.given([trip('TripRequested'), trip('FlightBooked')]);
    full.when(trip('HotelFull')).thenCompensations([{ type: 'CancelFlight' }]);
    full
      .when(trip('FlightCancelled'))
      .thenCommands([{ type: 'TellTraveller', data: { tripId: 't1', reason: 'hotel full for t1' }, to: 'mail' }])
      .thenLog(['SagaCompensationSucceeded', 'SagaCommandIssued', 'SagaCompensated'])
      .thenStatus('Compensated');
  });

  test('operator requests on a saga that is not stuck are refused with a typed error', () => {
    expect(() => fixture.given([trip('TripRequested')]).when({ operator: 'retry' })).toThrow(expect.objectContaining({ code: 'EVENTFOLD_SAGA_STATE' }));
    expect(() => fixture.given([trip('TripRequested')]).when({ operator: 'resolve', resolution: 'Completed' })).toThrow(
      expect.objectContaining({ code: 'EVENTFOLD_SAGA_STATE' }),
    );
  });
});

describe('defineSaga', () => {
  const step = { name: 'a', action: () => ({ type: 'DoA', data: {} }), replies: { ADone: 'ok' as const }, timeoutMs: 1_000 };
  const base = { name: 'Good', startedBy: { Started: () => ({ sagaId: 'x', data: {} }) }, associate: () => 'x', steps: [step] };

  test.each([
    ['saga.name', { ...base, name: 'bad name' }],
    ['saga.startedBy', { ...base, startedBy: {} }],
    ['saga.steps', { ...base, steps: [] }],
    ['saga.steps[1].name', { ...base, steps: [step, step] }],
    ['saga.steps[0].replies', { ...base, steps: [{ ...step, replies: {} }] }],
    ['saga.steps[0].timeoutMs', { ...base, steps: [{ ...step, timeoutMs: -1 }] }],
    ['saga.steps[0].timeoutMs', { ...base, steps: [{ ...step, timeoutMs: undefined }] }],
    [
      'saga.steps[0].compensation.timeoutMs',
      { ...base, steps: [{ ...step, compensation: { action: () => ({ type: 'UndoA', data: {} }), replies: { AUndone: 'ok' } } }] },
    ],
    ['retry.maxAttempts', { ...base, steps: [{ ...step, retry: { maxAttempts: 0 } }] }],
    ['saga.startedBy', { ...base, startedBy: { ADone: () => ({ sagaId: 'x', data: {} }) } }],
  ])('rejects a bad definition naming %s', (path, options) => {
    expect(() => defineSaga(options as never)).toThrow(expect.objectContaining({ code: 'EVENTFOLD_INVALID_INPUT', path }));
  });
});

test('the saga log follows the event naming rule (Saga + past participle)', () => {
  expect(checkEventNames([{ aggregate: 'Saga', eventTypes: SAGA_LOG_EVENT_TYPES }])).toEqual([]);
});
