/**
 * The saga runner: a checkpointed subscription over the global log plus a timer pump. Each cycle
 * reads a batch after the checkpoint, lets the engine handle every event (starts, replies, timers to
 * schedule), moves the checkpoint with compare-and-set, then fires the timers that are due. A crash
 * anywhere repeats work the saga log already shows, which the engine recognises and skips.
 */
import { type Clock, systemClock } from '../clock.js';
import { type GlobalPosition, type RecordedEvent, START } from '../envelope.js';
import { EventfoldError, InvalidInputError, isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { type Sleep, systemSleep } from '../messaging/timers.js';
import type { SagaDefinition } from './defineSaga.js';
import { createSagaEngine, type SagaEngine } from './sagaEngine.js';
import type { TimerStore } from './timerStore.js';

export interface SagaRunnerOptions {
  store: Pick<EventStore, 'readAll' | 'readStream' | 'appendToStream' | 'checkpoints'>;
  // biome-ignore lint/suspicious/noExplicitAny: a runner accepts any saga definition.
  saga: SagaDefinition<any, any>;
  /** Where deadlines live: `createSqliteTimerStore`, `createPostgresTimerStore`, or in memory for tests. */
  timers: TimerStore;
  /** Checkpoint name. Default `saga:<name>`. */
  checkpoint?: string;
  clock?: Clock;
  sleep?: Sleep;
  /** Jitter of retry delays. Default Math.random; seed it in tests. */
  random?: () => number;
  /** Events per cycle. Default 500. */
  batchSize?: number;
  /** Saga instances handled at once within a batch; one instance's events always run in log order. Default 8. */
  concurrency?: number;
  /** Wait when idle, in ms. Default 100. */
  pollIntervalMs?: number;
  /** Wait after a retryable failure (store unavailable), in ms. Default 1,000. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  onError?: (error: unknown) => void;
}

export interface SagaRunner {
  readonly engine: SagaEngine;
  /** One cycle: handle the next batch of the log, checkpoint, fire due timers. Resolves with what it did. */
  runOnce(): Promise<{ events: number; timers: number }>;
  /** Cycles until the log and the due timers are exhausted (for tests with a manual clock). */
  drain(): Promise<void>;
  /** Cycles until stopped or a non-retryable error; the returned promise is `done`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly position: GlobalPosition;
  readonly done: Promise<void>;
}

/**
 * @example
 * const runner = createSagaRunner({ store, saga: orderFulfilment, timers: createSqliteTimerStore({ store }) });
 * void runner.start();
 */
export function createSagaRunner(options: SagaRunnerOptions): SagaRunner {
  const { store, timers } = options;
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollIntervalMs ?? 100;
  const retryMs = options.retryDelayMs ?? 1_000;
  const concurrency = options.concurrency ?? 8;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InvalidInputError('batchSize', 'must be a whole number ≥ 1.');
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidInputError('concurrency', 'must be a whole number ≥ 1.');
  const name = options.checkpoint ?? `saga:${options.saga.name}`;
  const engine = createSagaEngine({ store, saga: options.saga, timers, clock, random: options.random ?? Math.random });
  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort();
    else options.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let position: GlobalPosition = START;
  let running: Promise<void> | undefined;

  const handleBatch = async (): Promise<number> => {
    const checkpoint = (await store.checkpoints.load(name)) ?? null;
    position = checkpoint ?? START;
    const events = await store.readAll({ after: position, maxCount: batchSize });
    if (events.length === 0) return 0;
    // Instances are independent (one stream each): run them side by side, each one's events in order.
    const lanes = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const instance = engine.instanceOf(event);
      if (instance !== undefined) lanes.set(instance, [...(lanes.get(instance) ?? []), event]);
    }
    const queue = [...lanes.values()];
    const failures: unknown[] = [];
    const worker = async () => {
      // After a failure the other workers stop taking lanes, and the batch ends only when all have stopped.
      for (let lane = queue.shift(); lane !== undefined && failures.length === 0; lane = queue.shift()) {
        try {
          for (const event of lane) await engine.handleLogEvent(event);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    if (failures.length > 0) throw failures[0];
    const last = events[events.length - 1]?.globalPosition as GlobalPosition;
    await store.checkpoints.store(name, last, { expected: checkpoint });
    position = last;
    return events.length;
  };

  const fireDue = async (): Promise<number> => {
    const due = await timers.due(engine.timerOwner, clock.now(), batchSize);
    for (const timer of due) {
      await engine.fire(timer);
      await timers.markFired([timer.id]);
    }
    return due.length;
  };

  const runOnce = async () => {
    const events = await handleBatch();
    return { events, timers: await fireDue() };
  };

  const loop = async () => {
    const signal = controller.signal;
    while (!signal.aborted) {
      let done: { events: number; timers: number };
      try {
        done = await runOnce();
      } catch (error) {
        if (!(error instanceof EventfoldError && error.retryable)) throw error;
        options.onError?.(error);
        // A checkpoint conflict means another runner of this saga moved first: back off a poll, then read its checkpoint.
        await sleep(isEventfoldError(error, 'EVENTFOLD_CHECKPOINT_CONFLICT') ? pollMs : retryMs, signal);
        continue;
      }
      if (done.events < batchSize && done.timers === 0) await sleep(pollMs, signal);
    }
  };

  return {
    engine,
    runOnce,
    async drain() {
      for (;;) {
        const done = await runOnce();
        if (done.events === 0 && done.timers === 0) return;
      }
    },
    start() {
      running ??= loop();
      return running;
    },
    async stop() {
      controller.abort();
      await running?.catch(() => undefined);
    },
    get position() {
      return position;
    },
    get done() {
      return running ?? Promise.resolve();
    },
  };
}
