/**
 * The reply path's timer writes, gathered and written together every few milliseconds instead of two
 * transactions per saga step (schedule the step's timeout, mark the previous one fired). A timer marked
 * fired while its schedule is still gathered (the step got its answer within the window, the usual
 * case) is never written at all. Safe because a timer is only a reminder: a schedule lost in a crash is
 * written again by the saga runner from the saga log's `SagaTimerScheduled` entry (durably, before its
 * checkpoint moves), and a lost "fired" mark only lets an obsolete timer fire, which the saga ignores.
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
 * const timers = bufferTimers(createSqliteTimerStore({ store }), { flushMs: 200, onError: console.error });
 */
export function bufferTimers(inner: TimerStore, options: { flushMs?: number; onError?: (error: unknown) => void } = {}): BufferedTimers {
  // As long as the runner's poll (it flushes before it reads the log): a step answered within it —
  // most are — never writes its timeout at all. Timeouts are 30 s; a crash loses only reminders the
  // runner writes again from the log.
  const flushMs = options.flushMs ?? 200;
  /** Gathered schedules by id, not yet handed to a write. */
  let scheduled = new Map<string, DurableTimer>();
  let fired: string[] = [];
  const written = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const remember = (id: string) => {
    if (written.size >= REMEMBERED) written.clear();
    written.add(id);
  };
  const writeOnce = async () => {
    const s = [...scheduled.values()];
    const f = fired;
    scheduled = new Map();
    fired = [];
    if (s.length === 0 && f.length === 0) return;
    try {
      if (s.length > 0) await inner.schedule(s);
      if (f.length > 0) await inner.markFired(f);
    } catch (error) {
      // Keep them for the next flush: nothing is lost while the store is away.
      const again = new Map(s.map((t) => [t.id, t]));
      for (const [id, t] of scheduled) again.set(id, t);
      scheduled = again;
      fired = [...f, ...fired];
      throw error;
    }
    for (const t of s) remember(t.id);
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
      for (const t of list) scheduled.set(t.id, t);
      later();
    },
    async markFired(ids) {
      for (const id of ids) {
        // Scheduled and settled within one window: nothing to write, and nothing for the runner to
        // write again from the log either (it asks takeWritten).
        if (scheduled.delete(id)) remember(id);
        else fired.push(id);
      }
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
