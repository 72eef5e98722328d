import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createNotifier, waitForAny } from './subscription.js';

describe('waitForAny', () => {
  it('resolves on the first notify and withdraws every other wait from the signal', async () => {
    const a = createNotifier();
    const b = createNotifier();
    const controller = new AbortController();
    // A loop that is woken often: each round's losing wait must not stay registered until it times out.
    for (let round = 0; round < 50; round++) {
      const waiting = waitForAny([a, b], 60_000, controller.signal);
      (round % 2 === 0 ? a : b).notify();
      await waiting;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('resolves after the timeout when nobody notifies', async () => {
    const started = Date.now();
    await waitForAny([createNotifier(), createNotifier()], 30, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('resolves when the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const waiting = waitForAny([createNotifier()], 60_000, controller.signal);
    controller.abort();
    await waiting;
    await waitForAny([createNotifier()], 60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves a notify after it has resolved without effect on the next wait', async () => {
    const a = createNotifier();
    const b = createNotifier();
    const signal = new AbortController().signal;
    const first = waitForAny([a, b], 60_000, signal);
    a.notify();
    await first;
    b.notify(); // b's withdrawn wait is gone: this wakes nobody
    const started = Date.now();
    await waitForAny([a, b], 30, signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
