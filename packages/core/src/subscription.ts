/**
 * Catch-up subscriptions over any store's `readAll`: read in batches from a checkpoint, and when
 * caught up wait for a wake-up (an append in this process) or the poll interval, then read again.
 * Order and completeness come from `readAll`, which each store makes gap-free.
 */
import type { GlobalPosition, RecordedEvent } from './envelope.js';
import { START } from './envelope.js';
import { isEventfoldError } from './errors.js';
import type { ReadAllOptions } from './eventStore.js';

export interface SubscribeOptions {
  /** Deliver events strictly after this position. Default: from the start. */
  after?: GlobalPosition;
  /** Called once per event, in global order; the next event waits for its promise. A throw stops the subscription. */
  handler: (event: RecordedEvent) => unknown | Promise<unknown>;
  /** Events read per query. Default 500. */
  batchSize?: number;
  /** How often to look for new events when idle, in ms. Default 100. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export interface Subscription {
  /** Position of the last event handled. */
  readonly position: GlobalPosition;
  /** Resolves the first time the subscription has read everything there was. */
  readonly caughtUp: Promise<void>;
  /** Resolves when stopped; rejects with the handler's or the store's error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Wake-ups for subscribers in the same process as the writer, so live delivery does not wait for a poll. */
export interface Notifier {
  /** Resolves on the next notify() or after `ms`, whichever comes first. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  notify(): void;
}

export function createNotifier(): Notifier {
  let waiters = new Set<() => void>();
  return {
    wait(ms, signal) {
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(finish);
          signal.removeEventListener('abort', finish);
          resolve();
        };
        const timer = setTimeout(finish, ms);
        waiters.add(finish);
        signal.addEventListener('abort', finish, { once: true });
      });
    },
    notify() {
      const current = waiters;
      waiters = new Set();
      for (const finish of current) finish();
    },
  };
}

/**
 * Resolves on the first notify() of any of `notifiers`, after `ms`, or on abort, and then withdraws
 * the other waits at once: a `Promise.race` of their waits would leave the losers' timers and abort
 * listeners behind until they time out, piling up on `signal` when the loop around it spins fast.
 */
export async function waitForAny(notifiers: readonly Notifier[], ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const local = new AbortController();
  const onAbort = () => local.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race(notifiers.map((n) => n.wait(ms, local.signal)));
  } finally {
    signal.removeEventListener('abort', onAbort);
    local.abort();
  }
}

export function createCatchUpSubscription(
  readAll: (options: ReadAllOptions) => Promise<RecordedEvent[]>,
  notifier: Notifier,
  options: SubscribeOptions,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort();
    else options.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let position = options.after ?? START;
  let markCaughtUp!: () => void;
  let failCaughtUp!: (error: unknown) => void;
  const caughtUp = new Promise<void>((resolve, reject) => {
    markCaughtUp = resolve;
    failCaughtUp = reject;
  });
  caughtUp.catch(() => undefined);

  const run = async () => {
    const signal = controller.signal;
    while (!signal.aborted) {
      const events = await readAll({ after: position, maxCount: batchSize });
      for (const event of events) {
        if (signal.aborted) return;
        await options.handler(event);
        position = event.globalPosition;
      }
      if (events.length < batchSize) {
        markCaughtUp();
        if (!signal.aborted) await notifier.wait(pollIntervalMs, signal);
      }
    }
  };
  // Closing the store ends its subscriptions as a normal stop, not a failure.
  const done = run().catch((error: unknown) => {
    if (isEventfoldError(error, 'EVENTFOLD_STORE_CLOSED')) return;
    throw error;
  });
  // A subscription that fails before catching up never will: tell whoever awaits it why.
  done.then(markCaughtUp, failCaughtUp);
  return {
    get position() {
      return position;
    },
    caughtUp,
    done,
    async stop() {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}
