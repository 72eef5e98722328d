/**
 * The reply path's timer writes, gathered and written together every few milliseconds instead of two
 * transactions per saga step (schedule the step's timeout, mark the previous one fired). Safe because
 * a timer is only a reminder: a schedule lost in a crash is written again by the saga runner from the
 * saga log's `SagaTimerScheduled` entry (durably, before its checkpoint moves), and a lost "fired"
 * mark only lets an obsolete timer fire, which the saga ignores.
 */
import { assertTimers, type DurableTimer, type TimerStore } from '@eventfold/core';

export interface BufferedTimers extends TimerStore {
  /** Writes what is gathered now (the runner calls it before it reads the log). */
  flush(): Promise<void>;
  /** Whether this timer was written by a flush of this process (so the runner need not write it again). Forgets it. */
  takeWritten(id: string): boolean;
  close(): Promise<void>;
}

/** Ids remembered as written; beyond this the runner just writes again (insert-or-ignore). */
const REMEMBERED = 100_000;

/**
 * @example
 * const timers = bufferTimers(createSqliteTimerStore({ store }), { flushMs: 20, onError: console.error });
 */
export function bufferTimers(inner: TimerStore, options: { flushMs?: number; onError?: (error: unknown) => void } = {}): BufferedTimers {
  const flushMs = options.flushMs ?? 20;
  let scheduled: DurableTimer[] = [];
  let fired: string[] = [];
  const written = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const writeOnce = async () => {
    const s = scheduled;
    const f = fired;
    scheduled = [];
    fired = [];
    if (s.length === 0 && f.length === 0) return;
    try {
      if (s.length > 0) await inner.schedule(s);
      if (f.length > 0) await inner.markFired(f);
    } catch (error) {
      // Keep them for the next flush: nothing is lost while the store is away.
      scheduled = [...s, ...scheduled];
      fired = [...f, ...fired];
      throw error;
    }
    if (written.size + s.length > REMEMBERED) written.clear();
    for (const t of s) written.add(t.id);
  };
  const flush = () => {
    flushing = flushing.then(writeOnce, writeOnce);
    return flushing;
  };
  const later = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      flush().catch((error: unknown) => {
        options.onError?.(error);
        later();
      });
    }, flushMs);
  };

  return {
    async schedule(list) {
      assertTimers(list);
      scheduled.push(...list);
      later();
    },
    async markFired(ids) {
      fired.push(...ids);
      later();
    },
    async due(owner, now, limit) {
      return inner.due(owner, now, limit);
    },
    async pending(owner) {
      await flush();
      return inner.pending(owner);
    },
    flush,
    takeWritten(id) {
      return written.delete(id);
    },
    async close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await flush().catch((error: unknown) => options.onError?.(error));
    },
  };
}
