/**
 * Injected waiting. Retry backoff, relay polling and rate limits wait through a `Sleep`, so tests
 * drive them with a manual clock instead of real time.
 */
import { createManualClock, type ManualClock } from '../clock.js';

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const systemSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** A clock and a sleep that move only when the test says so. */
export interface ManualTimers {
  readonly clock: ManualClock;
  readonly sleep: Sleep;
  /** Sleeps not yet due. */
  readonly pending: number;
  /**
   * Moves time forward by `ms`, waking each sleeper at its due instant in order and letting the
   * promise chains it starts run (so a retry scheduled by a woken handler is woken too if due).
   */
  advance(ms: number): Promise<void>;
  /** Lets queued promise callbacks and I/O callbacks run without moving time. */
  flush(): Promise<void>;
}

interface Sleeper {
  due: number;
  seq: number;
  wake: () => void;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createManualTimers(clock: ManualClock = createManualClock()): ManualTimers {
  const sleepers: Sleeper[] = [];
  let seq = 0;
  const flush = async () => {
    for (let i = 0; i < 5; i += 1) await tick();
  };
  return {
    clock,
    get pending() {
      return sleepers.length;
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const sleeper: Sleeper = {
          due: clock.now().getTime() + Math.max(0, ms),
          seq: seq++,
          wake: () => {
            const i = sleepers.indexOf(sleeper);
            if (i >= 0) sleepers.splice(i, 1);
            signal?.removeEventListener('abort', sleeper.wake);
            resolve();
          },
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', sleeper.wake, { once: true });
      });
    },
    async advance(ms) {
      const target = clock.now().getTime() + ms;
      await flush();
      for (;;) {
        const next = sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
        if (next === undefined) break;
        if (next.due > clock.now().getTime()) clock.set(next.due);
        next.wake();
        await flush();
      }
      clock.set(target);
      await flush();
    },
    flush,
  };
}
