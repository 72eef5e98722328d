/**
 * The conformance suite every durable TimerStore runs (SQLite, PostgreSQL; memory for the parts
 * that need no restart). `open` must open the *same* database each time it is called within a
 * test — calling it again is a process restart — and a fresh one for every test.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type Clock, createManualClock, type ManualClock } from '../../clock.js';
import type { EventStore } from '../../eventStore.js';
import { createSagaRunner } from '../../sagas/createSagaRunner.js';
import { defineSaga } from '../../sagas/defineSaga.js';
import { sagaStreamId } from '../../sagas/sagaLog.js';
import type { TimerStore } from '../../sagas/timerStore.js';

export interface TimerStoreConformanceOptions {
  /** Called before each test: make a fresh database (file, schema). */
  fresh(): Promise<void>;
  /** Opens the current test's database; a second call is a restart of the process. */
  open(clock: Clock): Promise<{ store: EventStore; timers: TimerStore; close(): Promise<void> }>;
  /** Called after each test: remove the database. */
  remove?(): Promise<void>;
  /** False for stores that do not survive a restart (in memory): the restart tests are left out. */
  durable?: boolean;
}

const deliverySaga = defineSaga<{ id: string }, { type: string; data: { id: string } }>({
  name: 'Delivery',
  startedBy: { DeliveryRequested: (e) => ({ sagaId: e.data.id, data: { id: e.data.id } }) },
  associate: (e) => e.data.id,
  steps: [
    {
      name: 'courier',
      action: (d) => ({ type: 'BookCourier', data: d }),
      replies: { CourierBooked: 'ok', CourierUnavailable: 'fail' },
      timeoutMs: 60_000,
      compensation: { action: (d) => ({ type: 'CancelCourier', data: d }) },
    },
  ],
});

export function describeTimerStoreConformance(name: string, options: TimerStoreConformanceOptions): void {
  describe(`TimerStore conformance: ${name}`, () => {
    let clock: ManualClock;
    const opened: { close(): Promise<void> }[] = [];
    const open = async () => {
      const handle = await options.open(clock);
      opened.push(handle);
      return handle;
    };
    beforeEach(async () => {
      clock = createManualClock(Date.UTC(2026, 0, 1));
      await options.fresh();
    });
    afterEach(async () => {
      for (const handle of opened.splice(0)) await handle.close();
      await options.remove?.();
    });
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    const timer = (id: string, dueMs: number, owner = 'o') => ({ id, owner, key: `k-${id}`, dueAt: at(dueMs), payload: { id } });

    test('due returns unfired timers of one owner at or before now, earliest first; scheduling an id again changes nothing', async () => {
      const { timers } = await open();
      await timers.schedule([timer('b', 2_000), timer('a', 1_000), timer('c', 3_000), timer('x', 0, 'other')]);
      await timers.schedule([{ ...timer('a', 9_000), payload: { changed: true } }]);
      expect(await timers.due('o', at(2_000))).toEqual([timer('a', 1_000), timer('b', 2_000)]);
      expect(await timers.due('o', at(5_000), 1)).toEqual([timer('a', 1_000)]);
      expect(await timers.pending('o')).toBe(3);
      await timers.markFired(['a', 'missing']);
      await timers.schedule([timer('a', 1_000)]); // a fired timer is not revived
      expect((await timers.due('o', at(5_000))).map((t) => t.id)).toEqual(['b', 'c']);
      expect(await timers.pending('o')).toBe(2);
      await timers.markFired(['b', 'b']);
      expect(await timers.pending('other')).toBe(1);
    });

    test('rejects a timer without an id or with an invalid date', async () => {
      const { timers } = await open();
      await expect(timers.schedule([{ ...timer('a', 0), id: '' }])).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT', path: 'timers[0].id' });
      await expect(timers.schedule([{ ...timer('a', 0), dueAt: new Date(Number.NaN) }])).rejects.toMatchObject({ path: 'timers[0].dueAt' });
      expect(await timers.pending('o')).toBe(0);
    });

    if (options.durable === false) return;

    test('a saga timer fires after a restart', async () => {
      const first = await open();
      await first.store.appendToStream('delivery-d1', [{ type: 'DeliveryRequested', data: { id: 'd1' } }]);
      await createSagaRunner({ store: first.store, saga: deliverySaga, timers: first.timers, clock }).drain();
      expect(await first.timers.pending('saga:Delivery')).toBe(1);
      await first.close();
      opened.splice(opened.indexOf(first), 1);

      clock.advance(60_000);
      const second = await open(); // a new process: nothing in memory survived
      await createSagaRunner({ store: second.store, saga: deliverySaga, timers: second.timers, clock }).drain();
      const log = (await second.store.readStream(sagaStreamId('Delivery', 'd1'))).map((e) => e.type);
      expect(log).toEqual([
        'SagaStarted',
        'SagaCommandIssued',
        'SagaStepExpired',
        'SagaStepFailed',
        'SagaCommandIssued',
        'SagaCompensationSucceeded',
        'SagaCompensated',
      ]);
      expect(await second.timers.pending('saga:Delivery')).toBe(0);
    });

    test('a late timer for a finished saga changes nothing', async () => {
      const { store, timers } = await open();
      await store.appendToStream('delivery-d2', [{ type: 'DeliveryRequested', data: { id: 'd2' } }]);
      const runner = createSagaRunner({ store, saga: deliverySaga, timers, clock });
      await runner.drain();
      const [scheduled] = await timers.due('saga:Delivery', at(60_000));
      await store.appendToStream('courier-d2', [{ type: 'CourierBooked', data: { id: 'd2' } }]);
      await runner.drain();
      const finished = await store.readStream(sagaStreamId('Delivery', 'd2'));
      expect(finished.at(-1)?.type).toBe('SagaCompleted');
      expect(scheduled).toBeDefined();
      // A pump that read the timer before the reply cancelled it fires it late: the saga decides again and does nothing.
      await runner.engine.fire(scheduled as NonNullable<typeof scheduled>);
      clock.advance(120_000);
      await runner.drain();
      expect(await store.readStream(sagaStreamId('Delivery', 'd2'))).toEqual(finished);
      expect(await timers.pending('saga:Delivery')).toBe(0);
    });
  });
}
