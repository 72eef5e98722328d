import diagnostics from 'node:diagnostics_channel';
import { describe, expect, test } from 'vitest';
import { createManualClock } from '../clock.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createSagaOperator } from './createSagaOperator.js';
import { createSagaRunner } from './createSagaRunner.js';
import { SAGA_TRANSITION_CHANNEL, type SagaTransitionMessage } from './sagaDiagnostics.js';
import { sagaStreamId } from './sagaLog.js';
import { trip, tripSaga } from './testSagas.js';
import { createInMemoryTimerStore } from './timerStore.js';

function setup() {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = createInMemoryEventStore({ clock });
  const timers = createInMemoryTimerStore();
  const runner = () => createSagaRunner({ store, saga: tripSaga, timers, clock, random: () => 0.5 });
  return { clock, store, timers, runner };
}

const types = async (store: ReturnType<typeof setup>['store'], tripId = 't1') => (await store.readStream(sagaStreamId('Trip', tripId))).map((e) => e.type);

describe('createSagaRunner', () => {
  test('starts sagas from the log, follows replies, and records commands in the saga log', async () => {
    const { store, runner } = setup();
    const requested = await store.appendToStream('trip-t1', [trip('TripRequested')]);
    const r = runner();
    await r.drain();
    expect(await types(store)).toEqual(['SagaStarted', 'SagaCommandIssued']);
    await store.appendToStream('airline-t1', [trip('FlightBooked')]);
    await r.drain();
    const log = await store.readStream(sagaStreamId('Trip', 't1'));
    expect(log.map((e) => e.type)).toEqual(['SagaStarted', 'SagaCommandIssued', 'SagaStepSucceeded', 'SagaCommandIssued']);
    // Each command carries its step's timeout (the durable timer written beside it).
    expect(log.filter((e) => e.type === 'SagaCommandIssued').map((e) => typeof (e.data as { timeout?: { timerId: string } }).timeout?.timerId)).toEqual([
      'string',
      'string',
    ]);
    // The whole log shares the flow's correlation id (the start event's id); each entry names its input.
    const [start] = await store.readStream('trip-t1');
    expect(new Set(log.map((e) => e.correlationId))).toEqual(new Set([start?.eventId]));
    expect(log[0]?.causationId).toBe(start?.eventId);
    expect(r.position).toBe(await store.headPosition());
    expect(requested.alreadyStored).toBe(false);
  });

  test('a crash before the checkpoint moved repeats the batch, and the saga log shows no double', async () => {
    const { store, runner } = setup();
    await store.appendToStream('trip-t1', [trip('TripRequested')]);
    await store.appendToStream('airline-t1', [trip('FlightBooked')]);
    await runner().drain();
    const before = await types(store);
    await store.checkpoints.delete('saga:Trip'); // as if every checkpoint write had been lost
    await runner().drain();
    expect(await types(store)).toEqual(before);
    // And a duplicate delivery of the same reply event to the engine changes nothing either.
    const [reply] = await store.readStream('airline-t1');
    const r = runner();
    await r.engine.handleLogEvent(reply as never);
    expect(await types(store)).toEqual(before);
  });

  test('a timer scheduled before a restart fires after it; a late timer for a finished saga changes nothing', async () => {
    const { store, clock, timers, runner } = setup();
    await store.appendToStream('trip-t1', [trip('TripRequested')]);
    await store.appendToStream('trip-t2', [trip('TripRequested', 't2')]);
    const first = runner();
    await first.drain();
    expect(await timers.pending('saga:Trip')).toBe(2);
    await store.appendToStream('airline-t2', [trip('FlightBooked', 't2'), trip('HotelBooked', 't2'), trip('CarBooked', 't2')]);
    // t2 completes; its stale timers are cancelled as replies arrive — make one look late anyway.
    const second = runner();
    await second.drain();
    expect(await types(store, 't2')).toContain('SagaCompleted');
    const lateTimer = (await store.readStream(sagaStreamId('Trip', 't2'))).find((e) => e.type === 'SagaCommandIssued');
    const t2Before = await types(store, 't2');
    clock.advance(10_000);
    const third = runner();
    await third.drain();
    expect(await types(store, 't1')).toContain('SagaStepExpired');
    await third.engine.fire({
      id: (lateTimer!.data as { timeout: { timerId: string } }).timeout.timerId,
      owner: 'saga:Trip',
      key: 't2',
      dueAt: clock.now(),
      payload: null,
    });
    expect(await types(store, 't2')).toEqual(t2Before);
  });

  test('handles many instances side by side, each in log order', async () => {
    const { store, clock, timers } = setup();
    const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
    for (const id of ids) await store.appendToStream(`trip-${id}`, [trip('TripRequested', id)]);
    for (const id of ids) await store.appendToStream(`airline-${id}`, [trip('FlightBooked', id)]);
    for (const id of ids) await store.appendToStream(`hotel-${id}`, [trip(Number(id.slice(1)) % 2 === 0 ? 'HotelBooked' : 'HotelFull', id)]);
    await createSagaRunner({ store, saga: tripSaga, timers, clock, concurrency: 4, batchSize: 7 }).drain();
    for (const id of ids) {
      const log = await types(store, id);
      expect(log.slice(0, 4), id).toEqual(['SagaStarted', 'SagaCommandIssued', 'SagaStepSucceeded', 'SagaCommandIssued']);
      expect(log[4], id).toBe(Number(id.slice(1)) % 2 === 0 ? 'SagaStepSucceeded' : 'SagaStepFailed');
    }
    expect(() => createSagaRunner({ store, saga: tripSaga, timers, concurrency: 0 })).toThrow(expect.objectContaining({ path: 'concurrency' }));
  });

  test('a failing event stops the batch without moving the checkpoint, so nothing is skipped', async () => {
    const { store, clock, timers } = setup();
    const broken = { ...tripSaga, associate: (e: { data: { tripId: string } }) => (e.data.tripId === 'bad' ? JSON.parse('{') : e.data.tripId) };
    await store.appendToStream('trip-t1', [trip('TripRequested')]);
    await store.appendToStream('trip-bad', [trip('TripRequested', 'bad'), trip('FlightBooked', 'bad')]);
    const runner = createSagaRunner({ store, saga: broken as typeof tripSaga, timers, clock });
    await expect(runner.runOnce()).rejects.toThrow(SyntaxError);
    expect(await store.checkpoints.load('saga:Trip')).toBeUndefined();
    await expect(runner.start()).rejects.toThrow(SyntaxError); // not retryable: the runner stops and says why
  });

  test('publishes every transition on the diagnostics channel', async () => {
    const { store, runner } = setup();
    const seen: SagaTransitionMessage[] = [];
    const listener = (m: unknown) => seen.push(m as SagaTransitionMessage);
    diagnostics.subscribe(SAGA_TRANSITION_CHANNEL, listener);
    try {
      await store.appendToStream('trip-t1', [trip('TripRequested'), trip('FlightUnavailable')]);
      await runner().drain();
    } finally {
      diagnostics.unsubscribe(SAGA_TRANSITION_CHANNEL, listener);
    }
    expect(seen.map((m) => `${m.type}/${m.status}`)).toEqual([
      'SagaStarted/Running',
      'SagaCommandIssued/Running',
      'SagaStepFailed/Compensating',
      'SagaCompensated/Compensated',
    ]);
  });

  test('operator status shows the whole history', async () => {
    const { store, timers, runner, clock } = setup();
    await store.appendToStream('trip-t1', [trip('TripRequested')]);
    await runner().drain();
    const operator = createSagaOperator({ store, saga: tripSaga, timers, clock });
    const status = await operator.status('t1');
    expect(status.state.status).toBe('Running');
    expect(status.history.map((h) => h.type)).toEqual(['SagaStarted', 'SagaCommandIssued']);
    await expect(operator.status('nope')).rejects.toMatchObject({ code: 'EVENTFOLD_SAGA_NOT_FOUND' });
  });
});
