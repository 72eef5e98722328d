import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createManualTimers, systemSleep } from './timers.js';

describe('createManualTimers', () => {
  it('wakes sleepers at their due instants, in order, including sleeps started by woken code', async () => {
    const timers = createManualTimers(createManualClock(1_000));
    const log: string[] = [];
    const at = () => timers.clock.now().getTime();
    void timers.sleep(300).then(() => log.push(`c@${at()}`));
    void timers.sleep(100).then(async () => {
      log.push(`a@${at()}`);
      await timers.sleep(50);
      log.push(`b@${at()}`);
    });
    expect(timers.pending).toBe(2);
    await timers.advance(250);
    expect(log).toEqual(['a@1100', 'b@1150']);
    expect(at()).toBe(1_250);
    await timers.advance(50);
    expect(log).toEqual(['a@1100', 'b@1150', 'c@1300']);
    expect(timers.pending).toBe(0);
  });

  it('ends a sleep early when its signal aborts', async () => {
    const timers = createManualTimers();
    const controller = new AbortController();
    let woke = false;
    const sleeping = timers.sleep(10_000, controller.signal).then(() => {
      woke = true;
    });
    controller.abort();
    await sleeping;
    expect(woke).toBe(true);
    expect(timers.pending).toBe(0);
  });

  it('systemSleep waits real time and also stops on abort', async () => {
    const started = Date.now();
    await systemSleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const sleeping = systemSleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
  });
});
