/**
 * The reply path's timer writes, gathered and written together instead of two transactions per saga
 * step (schedule the step's timeout, mark the previous one fired). A schedule is held for `holdMs`
 * (default 2 s) before it is written, so a step answered within that time — the usual case, in
 * embedded and distributed mode alike — never writes its timeout at all: the fired mark deletes it
 * from the buffer. Safe because a timer is only a reminder: a schedule lost in a crash is written
 * again by the saga runner from its saga log entry — the command's `timeout`, or a retry's
 * `SagaTimerScheduled` — durably, before its checkpoint moves (the runner reads entries only once they
 * are `holdMs` old, see createFulfilment.ts); and a lost "fired" mark only lets an obsolete timer fire,
 * which the saga ignores.
 */
import { assertTimers, type Clock, type DurableTimer, systemClock, type TimerStore } from '@eventfold/core';

export interface BufferedTimers extends TimerStore {
  /** Writes everything gathered now (on close, and before `pending`). */
  flush(): Promise<void>;
  /** Writes the schedules gathered at or before `cutoff` (and every fired mark): what the runner is about to read. */
  flushGatheredBefore(cutoff: Date): Promise<void>;
  /** Whether this timer was written by a flush of this process, or settled before it had to be (so the runner need not write it again). Forgets it. */
  takeWritten(id: string): boolean;
  readonly holdMs: number;
  close(): Promise<void>;
}

export interface BufferTimersOptions {
  /** How long a schedule waits to be settled before it is written, in ms. Default 2,000. */
  holdMs?: number;
  /** How often gathered writes go out, in ms. Default 200. */
  flushMs?: number;
  clock?: Clock;
  onError?: (error: unknown) => void;
}

/** Ids remembered as written; beyond this the runner just writes again (insert-or-ignore). */
const REMEMBERED = 100_000;

/**
 * @example
 * const timers = bufferTimers(createSqliteTimerStore({ store }), { holdMs: 2_000, onError: console.error });
 */
export function bufferTimers(inner: TimerStore, options: BufferTimersOptions = {}): BufferedTimers {
  // Timeouts are 30 s and a step's answer usually comes within a second: holding a schedule 2 s lets
  // most be settled unwritten. A timer due sooner than the hold (a short retry) is written at the next flush.
  const holdMs = options.holdMs ?? 2_000;
  const flushMs = options.flushMs ?? 200;
  const clock = options.clock ?? systemClock;
  /** Gathered schedules by id (in gathering order), not yet handed to a write, with when each was gathered. */
  let scheduled = new Map<string, { timer: DurableTimer; at: number }>();
  let fired: string[] = [];
  const written = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const remember = (id: string) => {
    if (written.size >= REMEMBERED) written.clear();
    written.add(id);
  };
  /** Writes the schedules gathered at or before `cutoff` or due within the hold, and every fired mark. */
  const writeOnce = async (cutoff: number) => {
    const soon = clock.now().getTime() + holdMs;
    const taken: { timer: DurableTimer; at: number }[] = [];
    for (const [id, entry] of scheduled) {
      if (entry.at <= cutoff || entry.timer.dueAt.getTime() <= soon) {
        taken.push(entry);
        scheduled.delete(id);
      }
    }
    const s = taken.map((e) => e.timer);
    const f = fired;
    fired = [];
    if (s.length === 0 && f.length === 0) return;
    try {
      if (s.length > 0) await inner.schedule(s);
      if (f.length > 0) await inner.markFired(f);
    } catch (error) {
      // Keep them for the next flush: nothing is lost while the store is away.
      const again = new Map(taken.map((e) => [e.timer.id, e]));
      for (const [id, e] of scheduled) again.set(id, e);
      scheduled = again;
      fired = [...f, ...fired];
      throw error;
    }
    for (const t of s) remember(t.id);
  };
  const flushUpTo = (cutoff: number) => {
    const write = () => writeOnce(cutoff);
    flushing = flushing.then(write, write);
    return flushing;
  };
  const flush = () => flushUpTo(Number.POSITIVE_INFINITY);
  const later = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      flushUpTo(clock.now().getTime() - holdMs)
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          // Schedules still held come of age later; a failed write is tried again.
          if (scheduled.size > 0 || fired.length > 0) later();
        });
    }, flushMs);
  };

  return {
    holdMs,
    async schedule(list) {
      assertTimers(list);
      const at = clock.now().getTime();
      for (const t of list) scheduled.set(t.id, { timer: t, at });
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
    flushGatheredBefore(cutoff) {
      return flushUpTo(cutoff.getTime());
    },
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
