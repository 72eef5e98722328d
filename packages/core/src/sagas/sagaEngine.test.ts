import { describe, expect, test } from 'vitest';
import { createManualClock } from '../clock.js';
import type { EventStore } from '../eventStore.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { uuidv7 } from '../uuidv7.js';
import { defineSaga } from './defineSaga.js';
import { deterministicId, deterministicIdAfter } from './deterministicId.js';
import { createSagaEngine } from './sagaEngine.js';
import { sagaStreamId } from './sagaLog.js';
import { type TripData, type TripEvent, trip, tripSaga } from './testSagas.js';
import { createInMemoryTimerStore } from './timerStore.js';

function setup() {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = createInMemoryEventStore({ clock });
  let reads = 0;
  const counted: Pick<EventStore, 'readStream' | 'appendToStream'> = {
    readStream: (streamId, options) => {
      reads++;
      return store.readStream(streamId, options);
    },
    appendToStream: (streamId, events, options) => store.appendToStream(streamId, events, options),
  };
  const engine = () => createSagaEngine({ store: counted, saga: tripSaga, timers: createInMemoryTimerStore(), clock, random: () => 0.5 });
  return { store, engine, reads: () => reads };
}

const reply = (type: Parameters<typeof trip>[0], id = uuidv7()) => ({ kind: 'reply' as const, id, event: trip(type) });

describe('deterministicIdAfter', () => {
  test('takes the time prefix of a UUID v7 anchor, stays a function of its inputs, and differs per part', () => {
    const anchor = '01a24d5d-1943-7427-8e9e-83839bf4000c';
    const id = deterministicIdAfter(anchor, 'saga-Trip-t1', 'command', 'flight');
    expect(id.slice(0, 13)).toBe('01a24d5d-1943');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicIdAfter(anchor, 'saga-Trip-t1', 'command', 'flight')).toBe(id);
    expect(deterministicIdAfter(anchor, 'saga-Trip-t1', 'command', 'hotel')).not.toBe(id);
    // Ids caused by later anchors sort after earlier ones.
    expect(deterministicIdAfter('01a24d5d-1944-7000-8000-000000000000', 'x') > deterministicIdAfter(anchor, 'x')).toBe(true);
  });

  test('deterministicId stays what it was: ids recorded by earlier versions must be derived again', () => {
    expect(deterministicId('saga-Trip-t1', 'command', 'flight', 'action', '1')).toBe('b249dbda-b2ae-8912-b953-1732a601cc84');
  });

  test('an anchor that is not a UUID v7 gives the plain hashed id', () => {
    expect(deterministicIdAfter('order-17', 'a', 'b')).toBe(deterministicId('a', 'b'));
    expect(deterministicIdAfter(undefined, 'a', 'b')).toBe(deterministicId('a', 'b'));
  });
});

describe('createSagaEngine', () => {
  test("ids of a saga's commands, timers and log entries carry the time of the event that started it", async () => {
    const { store, engine } = setup();
    const start = uuidv7();
    await engine().apply('t1', { kind: 'start', id: start, event: trip('TripRequested') });
    await engine().apply('t1', reply('FlightBooked'));
    const log = await store.readStream(sagaStreamId('Trip', 't1'));
    expect(log.map((e) => e.type)).toEqual(['SagaStarted', 'SagaCommandIssued', 'SagaStepSucceeded', 'SagaCommandIssued']);
    for (const event of log) expect(event.eventId.slice(0, 13)).toBe(start.slice(0, 13));
    const issued = log.filter((e) => e.type === 'SagaCommandIssued').map((e) => e.data as { commandId: string; timeout: { timerId: string } });
    for (const { commandId, timeout } of issued) {
      expect(commandId.slice(0, 13)).toBe(start.slice(0, 13));
      expect(timeout.timerId.slice(0, 13)).toBe(start.slice(0, 13));
    }
  });

  test('a log written before timeouts moved onto the command (a SagaTimerScheduled entry of its own) folds the same, and its timeout fires', async () => {
    const { store, engine } = setup();
    const streamId = sagaStreamId('Trip', 't1');
    const start = uuidv7();
    const timerId = deterministicIdAfter(start, streamId, 'timer', 'timeout', 'flight', 'action', '1');
    await store.appendToStream(streamId, [
      { type: 'SagaStarted', data: { saga: 'Trip', sagaId: 't1', data: { tripId: 't1' } }, causationId: start },
      {
        type: 'SagaCommandIssued',
        data: {
          saga: 'Trip',
          sagaId: 't1',
          commandId: deterministicIdAfter(start, streamId, 'command', 'flight', 'action', '1'),
          idempotencyKey: 'Trip:t1:flight:action',
          step: 'flight',
          phase: 'action',
          attempt: 1,
          command: { type: 'BookFlight', data: { tripId: 't1' }, to: null },
        },
        causationId: start,
      },
      {
        type: 'SagaTimerScheduled',
        data: { saga: 'Trip', sagaId: 't1', timerId, dueAt: '2026-01-01T00:00:05.000Z', purpose: 'timeout', step: 'flight', phase: 'action', attempt: 1 },
        causationId: start,
      },
    ]);
    const e = engine();
    const loaded = await e.load('t1');
    expect(loaded.state).toMatchObject({ status: 'Running', step: 'flight', awaiting: true, timeoutTimerId: timerId });
    const [entry] = (await store.readStream(streamId)).filter((x) => x.type === 'SagaTimerScheduled');
    expect(e.instanceOf(entry!)).toBe('t1');
    await e.fire({ id: timerId, owner: 'saga:Trip', key: 't1', dueAt: new Date('2026-01-01T00:00:05.000Z'), payload: { sagaId: 't1' } });
    expect((await store.readStream(streamId)).map((x) => x.type).slice(3, 4)).toEqual(['SagaStepExpired']);
  });

  test("a step's success records the saga's data only when the reply changed it", async () => {
    const { store, engine } = setup();
    const e = engine();
    await e.apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') });
    const { state } = await e.apply('t1', reply('FlightBooked'));
    const succeeded = (await store.readStream(sagaStreamId('Trip', 't1'))).find((x) => x.type === 'SagaStepSucceeded');
    expect(succeeded?.data).toEqual({ step: 'flight', replyType: 'FlightBooked' });
    // The fold keeps the data the saga had: from the log alone, and in the engine's kept state.
    expect(state.data).toEqual({ tripId: 't1' });
    expect((await engine().load('t1')).state.data).toEqual({ tripId: 't1' });
  });

  test('decides on the state it keeps without reading the log again', async () => {
    const { engine, reads } = setup();
    const e = engine();
    await e.apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') });
    // A start of an unseen instance is decided as new, unread: the append's "no stream" checks it.
    expect(reads()).toBe(0);
    const before = reads();
    await e.apply('t1', reply('FlightBooked'));
    await e.apply('t1', reply('HotelBooked'));
    expect(reads()).toBe(before);
  });

  test('when another writer moved the log, the append is refused and the decision is taken again on what the log holds', async () => {
    const { store, engine } = setup();
    const a = engine();
    const b = engine();
    await a.apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') });
    const flight = reply('FlightBooked');
    // b handles the flight reply first; a's kept state does not know of it.
    await b.apply('t1', flight);
    const afterB = (await store.readStream(sagaStreamId('Trip', 't1'))).map((e) => e.type);
    // The same reply delivered again to a: a refusal, a read, "already handled" — nothing appended.
    expect((await a.apply('t1', flight)).appended).toEqual([]);
    // A new reply to a is decided on the whole log: the hotel step is what it answers.
    const hotel = await a.apply('t1', reply('HotelBooked'));
    expect(hotel.appended.map((e) => e.type)).toEqual(['SagaStepSucceeded', 'SagaCommandIssued']);
    expect(hotel.state.succeeded).toEqual(['flight', 'hotel']);
    const log = (await store.readStream(sagaStreamId('Trip', 't1'))).map((e) => e.type);
    expect(log).toEqual([...afterB, 'SagaStepSucceeded', 'SagaCommandIssued']);
  });

  test('a start delivered again to an engine that has not seen the instance changes nothing', async () => {
    const { store, engine } = setup();
    const start = { kind: 'start' as const, id: uuidv7(), event: trip('TripRequested') };
    await engine().apply('t1', start);
    await engine().apply('t1', reply('FlightBooked'));
    const before = (await store.readStream(sagaStreamId('Trip', 't1'))).length;
    expect((await engine().apply('t1', start)).appended).toEqual([]);
    // A second start event (another id) for a running instance is not a new saga either — also when it
    // comes in the same millisecond, so that its decision derives the running saga's first command id.
    expect((await engine().apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') })).appended).toEqual([]);
    const sameMs = `${start.id.slice(0, 14)}${uuidv7().slice(14)}`;
    expect((await engine().apply('t1', { kind: 'start', id: sameMs, event: trip('TripRequested') })).appended).toEqual([]);
    expect((await store.readStream(sagaStreamId('Trip', 't1'))).length).toBe(before);
  });

  test('an input the kept state would ignore is decided again on the log before it is dropped', async () => {
    const { store, engine } = setup();
    const a = engine();
    const b = engine();
    await a.apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') });
    await a.apply('t1', reply('FlightBooked'));
    // b moves the saga to the car step; a still believes the hotel step is out.
    await b.apply('t1', reply('HotelBooked'));
    // To a's kept state a car reply is unexpected (ignored); on the log it completes the saga.
    const car = await a.apply('t1', reply('CarBooked'));
    expect(car.state.status).toBe('Completed');
    const log = (await store.readStream(sagaStreamId('Trip', 't1'))).map((e) => e.type);
    expect(log.at(-1)).toBe('SagaCompleted');
  });

  test('with parallel steps, an answered step withdraws only its own timeout', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createInMemoryEventStore({ clock });
    const [flight, hotel, car] = tripSaga.steps as [TripStep, TripStep, TripStep];
    const saga = defineSaga<TripData, TripEvent>({ ...tripSaga, name: 'ParallelTrip', steps: [{ parallel: [flight, hotel] }, car] });
    const timers = createInMemoryTimerStore();
    const engine = createSagaEngine({ store, saga, timers, clock, random: () => 0.5 });
    await engine.apply('t1', { kind: 'start', id: uuidv7(), event: trip('TripRequested') });
    const pending = () =>
      timers
        .all()
        .filter((t) => !t.fired)
        .map((t) => t.timer.id);
    const [flightTimeout, hotelTimeout] = (await store.readStream(sagaStreamId('ParallelTrip', 't1')))
      .filter((e) => e.type === 'SagaCommandIssued')
      .map((e) => (e.data as { timeout: { timerId: string } }).timeout.timerId);
    expect(pending()).toEqual([flightTimeout, hotelTimeout]);
    const { state } = await engine.apply('t1', reply('HotelBooked'));
    expect(pending()).toEqual([flightTimeout]);
    expect(state.lanes.map((l) => l.step)).toEqual(['flight']);
    // The flight's answer starts the car: its timeout is the one left.
    await engine.apply('t1', reply('FlightBooked'));
    expect(pending()).toHaveLength(1);
    expect(pending()).not.toContain(flightTimeout);
  });
});

type TripStep = (typeof tripSaga.steps)[number];
