import { createInMemoryTimerStore, type DurableTimer, EventfoldError } from '@eventfold/core';
import { describe, expect, test } from 'vitest';
import { bufferTimers } from './bufferTimers.js';

const timer = (id: string, dueAt = 1_000): DurableTimer => ({ id, owner: 'saga:Fulfilment', key: 'o1', dueAt: new Date(dueAt), payload: { sagaId: 'o1' } });

describe('bufferTimers', () => {
  test('gathers schedules and fired marks, writes them on flush, and remembers what it wrote once', async () => {
    const inner = createInMemoryTimerStore();
    const timers = bufferTimers(inner, { flushMs: 60_000 });
    await timers.schedule([timer('a'), timer('b'), timer('c')]);
    await timers.flush();
    await timers.markFired(['a']);
    expect(inner.all().map((t) => [t.timer.id, t.fired])).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
    ]);
    await timers.flush();
    expect(inner.all().map((t) => [t.timer.id, t.fired])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    expect(timers.takeWritten('b')).toBe(true);
    expect(timers.takeWritten('b')).toBe(false); // forgotten: a second look writes it again (insert-or-ignore)
    expect(timers.takeWritten('never')).toBe(false);
    expect((await timers.due('saga:Fulfilment', new Date(2_000))).map((t) => t.id)).toEqual(['b', 'c']);
    await timers.close();
  });

  test('flushes by itself after flushMs, and keeps what a failed write did not store', async () => {
    const inner = createInMemoryTimerStore();
    let failures = 1;
    const errors: unknown[] = [];
    const flaky = {
      ...inner,
      async schedule(list: readonly DurableTimer[]) {
        if (failures-- > 0) throw new EventfoldError('EVENTFOLD_STORE_UNAVAILABLE', 'down', { retryable: true });
        await inner.schedule(list);
      },
    };
    const timers = bufferTimers(flaky, { flushMs: 5, onError: (e) => errors.push(e) });
    await timers.schedule([timer('c')]);
    await expect(timers.flush()).rejects.toMatchObject({ code: 'EVENTFOLD_STORE_UNAVAILABLE' });
    expect(inner.all()).toEqual([]);
    await timers.schedule([timer('d')]);
    for (let i = 0; i < 100 && inner.all().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(inner.all().map((t) => t.timer.id)).toEqual(['c', 'd']);
    await timers.close();
  });

  test('a timer marked fired while its schedule is still gathered is never written, and the runner is told it was', async () => {
    const inner = createInMemoryTimerStore();
    const timers = bufferTimers(inner, { flushMs: 60_000 });
    await timers.schedule([timer('step-1'), timer('step-2')]);
    // The step answered within the window: its timeout is settled before anything was written.
    await timers.markFired(['step-1']);
    await timers.flush();
    expect(inner.all().map((t) => [t.timer.id, t.fired])).toEqual([['step-2', false]]);
    // The runner, reading SagaTimerScheduled for step-1 from the log, must not write it again.
    expect(timers.takeWritten('step-1')).toBe(true);
    expect(timers.takeWritten('step-2')).toBe(true);
    await timers.close();
  });

  test('holds a schedule for holdMs: settled within it, never written; older, written by the background flush', async () => {
    const inner = createInMemoryTimerStore();
    let now = 100_000;
    const clock = { now: () => new Date(now) };
    const timers = bufferTimers(inner, { holdMs: 2_000, flushMs: 5, clock });
    await timers.schedule([timer('answered', 200_000), timer('slow', 200_000)]);
    await new Promise((r) => setTimeout(r, 30)); // several background flushes, all within the hold
    expect(inner.all()).toEqual([]);
    await timers.markFired(['answered']);
    now += 2_001;
    for (let i = 0; i < 100 && inner.all().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(inner.all().map((t) => [t.timer.id, t.fired])).toEqual([['slow', false]]);
    expect(timers.takeWritten('answered')).toBe(true);
    expect(timers.takeWritten('slow')).toBe(true);
    await timers.close();
  });

  test('writes a timer due within the hold at the next flush, and what the runner is about to read on request', async () => {
    const inner = createInMemoryTimerStore();
    const now = 100_000;
    const clock = { now: () => new Date(now) };
    const timers = bufferTimers(inner, { holdMs: 2_000, flushMs: 60_000, clock });
    await timers.schedule([timer('retry-soon', now + 500), timer('timeout', now + 30_000)]);
    await timers.flushGatheredBefore(new Date(now - 1_000));
    expect(inner.all().map((t) => t.timer.id)).toEqual(['retry-soon']);
    await timers.flushGatheredBefore(new Date(now));
    expect(inner.all().map((t) => t.timer.id)).toEqual(['retry-soon', 'timeout']);
    await timers.close();
  });

  test('rejects a malformed timer at once', async () => {
    const timers = bufferTimers(createInMemoryTimerStore());
    await expect(timers.schedule([{ ...timer('x'), id: '' }])).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    await timers.close();
  });
});
