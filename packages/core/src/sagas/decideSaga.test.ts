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

describe('decideSaga with parallel steps', () => {
  const [flight, hotel, car] = tripSaga.steps;
  const parallelTrip = defineSaga<TripData, TripEvent>({
    ...tripSaga,
    name: 'ParallelTrip',
    steps: [{ parallel: [flight as NonNullable<typeof flight>, hotel as NonNullable<typeof hotel>] }, car as NonNullable<typeof car>],
    onCompensated: (d, { reason, step }) => [{ type: 'TellTraveller', data: { ...d, reason, step: step ?? null }, to: 'mail' }],
  });
  const f = sagaFixture(parallelTrip);

  test('a group issues all its steps at once and the next step waits for every one of them, in whichever order they answer', () => {
    expect(parallelTrip.stages).toEqual([['flight', 'hotel'], ['car']]);
    const given = f.given();
    given.when(trip('TripRequested')).thenCommands([{ type: 'BookFlight' }, { type: 'BookHotel' }]);
    expect(given.state.lanes.map((l) => [l.step, l.awaiting])).toEqual([
      ['flight', true],
      ['hotel', true],
    ]);
    given.when(trip('HotelBooked')).thenCommands([]).thenLog(['SagaStepSucceeded']);
    expect(given.state.lanes.map((l) => l.step)).toEqual(['flight']);
    given.when(trip('FlightBooked')).thenCommands([{ type: 'BookCar' }]);
    given
      .when(trip('CarBooked'))
      .thenCommands([{ type: 'SendItinerary' }])
      .thenStatus('Completed');
    expect(given.state.succeeded).toEqual(['hotel', 'flight', 'car']);
    expect(given.state.lanes).toEqual([]);
  });

  test('a step that fails while its sibling is out compensates the sibling (its command may still take effect), not itself', () => {
    const given = f.given([trip('TripRequested')]);
    given
      .when(trip('HotelFull'))
      .thenLog(['SagaStepFailed', 'SagaCommandIssued'])
      .thenCompensations([{ type: 'CancelFlight' }])
      .thenStatus('Compensating');
    // The sibling's late success changes nothing: it is being undone.
    given.when(trip('FlightBooked')).thenLog([]);
    given
      .when(trip('FlightCancelled'))
      .thenCommands([{ type: 'TellTraveller', data: { tripId: 't1', reason: 'hotel full for t1', step: 'hotel' } }])
      .thenStatus('Compensated');
  });

  test('a failure after a sibling succeeded compensates the sibling; a failure in a later stage undoes the whole group in reverse', () => {
    f.given([trip('TripRequested'), trip('FlightBooked')])
      .when(trip('HotelFull'))
      .thenCompensations([{ type: 'CancelFlight' }]);
    const later = f.given([trip('TripRequested'), trip('HotelBooked'), trip('FlightBooked')]);
    later.when(trip('CarUnavailable')).thenCompensations([{ type: 'CancelFlight' }]);
    later.when(trip('FlightCancelled')).thenCompensations([{ type: 'CancelHotel' }]);
    later.when(trip('HotelCancelled')).thenCommands([{ type: 'TellTraveller', data: { tripId: 't1', reason: 'CarUnavailable', step: 'car' } }]);
  });

  test('each step of a group keeps its own retries and timeout', () => {
    const given = f.given([trip('TripRequested')]);
    // The hotel is busy: only its attempt is retried, 1 s later; the flight's attempt stays out.
    given.when(trip('HotelBusy')).thenLog(['SagaRetryScheduled', 'SagaTimerScheduled']);
    given.when(trip('FlightBooked')).thenLog(['SagaStepSucceeded']);
    given.when({ advance: 1_000 }).thenCommands([{ type: 'BookHotel', data: { tripId: 't1', attempt: 2 } }]);
    expect(given.state.lanes).toMatchObject([{ step: 'hotel', attempt: 2, tries: 2, awaiting: true }]);
    // The flight answered, so its 10 s timeout is obsolete; the hotel's second attempt times out at 11 s
    // and is retried 2 s later; its third and last times out at 23 s.
    given.when({ advance: 9_000 }).thenLog([]);
    given.when({ advance: 1_000 }).thenLog(['SagaStepExpired', 'SagaRetryScheduled', 'SagaTimerScheduled']);
    given.when({ advance: 2_000 }).thenCommands([{ type: 'BookHotel', data: { tripId: 't1', attempt: 3 } }]);
    given.when({ advance: 9_999 }).thenLog([]);
    given
      .when({ advance: 1 })
      .thenLog(['SagaStepExpired', 'SagaStepFailed', 'SagaCommandIssued'])
      .thenCompensations([{ type: 'CancelHotel' }]);
    expect(given.state.failure).toBe('step "hotel" timed out');
    expect(given.state.compensations).toEqual(['hotel', 'flight']);
  });

  test('a sibling that answers, while an earlier compensation runs, that it did nothing has its own compensation settled', () => {
    const cancelled = { TripCancelled: () => ({ outcome: 'fail' as const, reason: 'cancelled', compensateStep: true }) };
    const [flight, hotel, car] = parallelTrip.steps as [TripStep, TripStep, TripStep];
    const hotelCompensation = {
      ...(hotel.compensation as NonNullable<TripStep['compensation']>),
      replies: { HotelCancelled: 'ok' as const, HotelFull: 'ok' as const },
    };
    const hotelFullUndoes = defineSaga<TripData, TripEvent | { type: 'TripCancelled'; data: { tripId: string } }>({
      ...parallelTrip,
      name: 'CancellableParallelTrip',
      steps: [
        {
          parallel: [
            { ...flight, replies: { ...flight.replies, ...cancelled } },
            // The hotel's "full" answer also confirms that there is nothing to cancel.
            { ...hotel, replies: { ...hotel.replies, ...cancelled }, compensation: hotelCompensation },
          ],
        },
        car,
      ],
      onCompensated: undefined,
    });
    const given = sagaFixture(hotelFullUndoes).given([trip('TripRequested')]);
    // Cancelled while both are out: the flight is undone first, the hotel waits its turn.
    given.when({ type: 'TripCancelled', data: { tripId: 't1' } }).thenCompensations([{ type: 'CancelFlight' }]);
    expect(given.state.compensations).toEqual(['flight', 'hotel']);
    // The hotel answers its booking: full. Nothing to cancel there, and no later reply would say so.
    given.when(trip('HotelFull')).thenLog(['SagaCompensationSucceeded']);
    expect(given.state.compensations).toEqual(['flight']);
    given.when(trip('FlightCancelled')).thenCommands([]).thenStatus('Compensated');
  });

  test('both steps timing out together: the first to expire fails the saga and the other is compensated with it', () => {
    const given = f.given([trip('TripRequested')]);
    given
      .when({ advance: 10_000 })
      .thenLog(['SagaStepExpired', 'SagaStepFailed', 'SagaCommandIssued'])
      .thenCompensations([{ type: 'CancelFlight' }]);
    expect(given.state.compensations).toEqual(['flight', 'hotel']);
    expect(given.state.lanes.map((l) => [l.step, l.phase])).toEqual([['flight', 'compensation']]);
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
    ['saga.steps[0].parallel', { ...base, steps: [{ parallel: [] }] }],
    ['saga.steps[0].parallel[1]', { ...base, steps: [{ parallel: [step, { parallel: [] }] }] }],
    ['saga.steps[1].parallel[0].name', { ...base, steps: [step, { parallel: [step] }] }],
  ])('rejects a bad definition naming %s', (path, options) => {
    expect(() => defineSaga(options as never)).toThrow(expect.objectContaining({ code: 'EVENTFOLD_INVALID_INPUT', path }));
  });
});

test('the saga log follows the event naming rule (Saga + past participle)', () => {
  expect(checkEventNames([{ aggregate: 'Saga', eventTypes: SAGA_LOG_EVENT_TYPES }])).toEqual([]);
});

type TripStep = (typeof tripSaga.steps)[number];
