/**
 * Runs a projection asynchronously: read the global log after the checkpoint in batches, apply each
 * batch and move the checkpoint in one transaction of the target, repeat. A crash at any moment
 * leaves read model and checkpoint consistent, so every event is applied exactly once.
 */
import { type Clock, systemClock } from '../clock.js';
import type { GlobalPosition, RecordedEvent } from '../envelope.js';
import { START } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { EventStore, TypedLogReader } from '../eventStore.js';
import { noUpcasters, type UpcasterRegistry } from '../eventsourcing/defineUpcasters.js';
import type { AppendListenable } from '../messaging/createRelay.js';
import { createScanMark } from '../scanMark.js';
import { type ProjectionBatchMessage, type ProjectionErrorMessage, projectionBatch, projectionError } from './cqrsDiagnostics.js';
import type { Projection } from './defineProjection.js';
import { createPositionSignal } from './internal/positionSignal.js';
import type { ProjectionTarget } from './projectionTarget.js';
import { ProjectionTimeoutError } from './projectionTimeoutError.js';

export interface ProjectionRunnerOptions<TContext> {
  /**
   * A store with `onAppend` (the PostgreSQL store) wakes the runner on appends made through it; one
   * with `readAllOfTypes` sends the running loop only the events the projection handles.
   */
  store: EventStore & Partial<AppendListenable> & Partial<TypedLogReader>;
  projection: Projection<TContext>;
  target: ProjectionTarget<TContext>;
  upcasters?: UpcasterRegistry;
  /** Events per transaction. Default 500. */
  batchSize?: number;
  /** How often to look for new events when caught up, in ms. Default 25. */
  pollIntervalMs?: number;
  /**
   * With a store that tells about its appends (`onAppend`), polls that find nothing back off: the wait
   * doubles from `pollIntervalMs` up to this, and an append through the store (or `wake()`) resets it.
   * Appends made elsewhere (another process) are then found within `maxIdleMs`. Default 10 ×
   * pollIntervalMs; ignored for stores without `onAppend` (they poll at the interval).
   */
  maxIdleMs?: number;
  clock?: Clock;
  /** Called after every committed batch. */
  onBatch?: (info: { position: GlobalPosition; events: number }) => void;
}

export type ProjectionState = 'stopped' | 'running' | 'paused' | 'rebuilding' | 'failed';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Checkpoint: the last global position applied. */
  position: GlobalPosition | undefined;
  headPosition: GlobalPosition;
  /** Events not yet applied (at most `lagEventsCap`; `lagEventsCapped` says when there are more). */
  lagEvents: number;
  lagEventsCapped: boolean;
  /** Age of the oldest unapplied event, in seconds (0 when caught up). */
  lagSeconds: number;
  error: unknown;
}

export interface RebuildProgress {
  name: string;
  processed: number;
  /** Events to replay when the rebuild started (undefined when the target cannot count). */
  total: number | undefined;
  position: GlobalPosition;
  elapsedMs: number;
  eventsPerSecond: number;
  done: boolean;
}

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  /** Events per transaction during the rebuild. Default 5,000. */
  batchSize?: number;
}

export interface ProjectionRunner {
  readonly name: string;
  /** Starts the loop (after `init`). Resolves once started. */
  start(): Promise<void>;
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
  /** Holds the loop between batches; `resume()` continues. */
  pause(): Promise<void>;
  resume(): void;
  /** Applies everything readable now, then returns (without starting the loop). */
  catchUp(): Promise<GlobalPosition | undefined>;
  /** Empties the read model and replays the whole log, reporting progress. */
  rebuild(options?: RebuildOptions): Promise<RebuildProgress>;
  status(): Promise<ProjectionStatus>;
  /** Resolves once the checkpoint is at or past `position`; ProjectionTimeoutError after `timeoutMs`. */
  waitForPosition(position: GlobalPosition, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void>;
  /** Wake the loop now (e.g. right after an append in this process) instead of at the next poll. */
  wake(): void;
  /** Resolves when the loop ends; rejects with the error that stopped it. */
  readonly done: Promise<void>;
}

const LAG_EVENTS_CAP = 10_000;

/**
 * @example
 * const runner = createProjectionRunner({ store, projection: balances, target: createSqliteProjectionTarget(store) });
 * await runner.start();
 */
export function createProjectionRunner<TContext>(options: ProjectionRunnerOptions<TContext>): ProjectionRunner {
  const { store, projection, target } = options;
  const name = projection.name;
  const upcasters = options.upcasters ?? noUpcasters;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const maxIdleMs = Math.max(pollIntervalMs, options.maxIdleMs ?? pollIntervalMs * 10);
  if (!Number.isFinite(maxIdleMs)) throw new InvalidInputError('maxIdleMs', 'must be a finite number of milliseconds.');
  const clock = options.clock ?? systemClock;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
    throw new InvalidInputError('batchSize', 'must be a whole number from 1 to 100,000.');
  const handled = new Set(projection.eventTypes);

  const progress = createPositionSignal();
  let checkpoint: GlobalPosition | null | undefined; // undefined: not loaded yet
  let state: ProjectionState = 'stopped';
  let error: unknown;
  let initialised = false;
  let loop: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let paused: { resume: () => void; wait: Promise<void> } | undefined;
  let wakeUp: (() => void) | undefined;
  /** An append through the store ends the wait, but no sooner than pollIntervalMs after it began (under load appends come in a stream). */
  let nudge: (() => void) | undefined;
  /** An append through the store since the current step began. */
  let appended = false;
  // The live loop reads only the handled types when the store can filter in the database and no
  // upcaster may rename a type; it remembers how far it examined beyond its checkpoint (`mark`).
  const typedStore = options.upcasters === undefined && projection.eventTypes.length > 0 ? store.readAllOfTypes && (store as TypedLogReader) : undefined;
  const mark = createScanMark();
  let done: Promise<void> = Promise.resolve();

  async function ensureLoaded(): Promise<GlobalPosition | null> {
    if (!initialised) {
      if (projection.init) await target.init(projection.init);
      initialised = true;
    }
    if (checkpoint === undefined) {
      checkpoint = (await target.loadCheckpoint(name)) ?? null;
      if (checkpoint !== null) progress.advance(checkpoint);
    }
    return checkpoint;
  }

  /** Reads and applies one batch; returns how many events it read. */
  async function step(size: number, typed = false): Promise<number> {
    const expected = await ensureLoaded();
    const started = performance.now();
    let events: RecordedEvent[];
    let scannedTo: GlobalPosition | undefined;
    if (typed && typedStore !== undefined) {
      const from = mark.start(expected ?? START);
      ({ events, scannedTo } = await typedStore.readAllOfTypes({ after: from, maxCount: size, types: projection.eventTypes }));
      // Events read are skipped past only once applied: until the checkpoint reaches them, a read starts before the mark.
      mark.record(expected ?? START, from, events, scannedTo);
    } else events = (await store.readAll({ after: expected ?? START, maxCount: size })).map((e) => upcasters.upcast(e));
    const last = events[events.length - 1];
    if (!last) {
      // Nothing this projection handles up to scannedTo: it is as current as the log there (no write needed).
      if (scannedTo !== undefined) progress.advance(scannedTo);
      return 0;
    }
    const relevant = typed ? events : events.filter((e) => handled.has(e.type));
    await target.applyBatch(name, expected, last.globalPosition, (context) => (relevant.length > 0 ? projection.apply(relevant, context) : undefined));
    checkpoint = last.globalPosition;
    progress.advance(scannedTo !== undefined && scannedTo > last.globalPosition ? scannedTo : last.globalPosition);
    options.onBatch?.({ position: last.globalPosition, events: events.length });
    if (projectionBatch.hasSubscribers) {
      projectionBatch.publish({
        projection: name,
        events: events.length,
        position: last.globalPosition,
        ms: performance.now() - started,
      } satisfies ProjectionBatchMessage);
    }
    return events.length;
  }

  function idle(ms: number, signal: AbortSignal): Promise<void> {
    const wait = appended ? Math.min(ms, pollIntervalMs) : ms;
    return new Promise((resolve) => {
      const began = performance.now();
      const finish = () => {
        clearTimeout(timer);
        wakeUp = undefined;
        nudge = undefined;
        signal.removeEventListener('abort', finish);
        resolve();
      };
      let timer = setTimeout(finish, wait);
      wakeUp = finish;
      nudge = () => {
        nudge = undefined;
        clearTimeout(timer);
        timer = setTimeout(finish, Math.max(0, pollIntervalMs - (performance.now() - began)));
      };
      signal.addEventListener('abort', finish, { once: true });
    });
  }

  const onAppend = () => {
    appended = true;
    nudge?.();
  };

  async function run(signal: AbortSignal): Promise<void> {
    const unlisten = store.onAppend?.(onAppend);
    // Without append notifications every poll must look: no back-off.
    let idleMs = pollIntervalMs;
    try {
      while (!signal.aborted) {
        if (paused) {
          state = 'paused';
          await paused.wait;
          if (signal.aborted) break;
          state = 'running';
        }
        const woken = appended;
        appended = false;
        const read = await step(batchSize, true);
        if (read < batchSize && !signal.aborted) {
          idleMs = read > 0 || woken || unlisten === undefined ? pollIntervalMs : Math.min(maxIdleMs, idleMs * 2);
          await idle(idleMs, signal);
        }
      }
    } finally {
      unlisten?.();
    }
  }

  async function stopLoop(): Promise<void> {
    controller?.abort();
    paused?.resume();
    await loop?.catch(() => undefined);
    loop = undefined;
  }

  async function countAfter(position: GlobalPosition): Promise<{ count: number; capped: boolean }> {
    if (target.countEventsAfter) return { count: await target.countEventsAfter(position), capped: false };
    const events = await store.readAll({ after: position, maxCount: LAG_EVENTS_CAP });
    return { count: events.length, capped: events.length === LAG_EVENTS_CAP };
  }

  const runner: ProjectionRunner = {
    name,
    async start() {
      if (loop) return;
      await ensureLoaded();
      controller = new AbortController();
      state = 'running';
      error = undefined;
      loop = run(controller.signal).then(
        () => {
          state = 'stopped';
        },
        (failure: unknown) => {
          state = 'failed';
          error = failure;
          projectionError.publish({ projection: name, error: failure } satisfies ProjectionErrorMessage);
          progress.fail(failure);
          throw failure;
        },
      );
      done = loop;
      done.catch(() => undefined);
    },
    async stop() {
      await stopLoop();
      if (state !== 'failed') state = 'stopped';
    },
    async pause() {
      if (!paused) {
        let resume!: () => void;
        const wait = new Promise<void>((r) => {
          resume = r;
        });
        paused = { resume, wait };
        wakeUp?.();
      }
    },
    resume() {
      const current = paused;
      paused = undefined;
      current?.resume();
    },
    async catchUp() {
      if (loop) throw new InvalidInputError('catchUp', `projection "${name}" is already running; stop() it first, or use waitForPosition().`);
      while ((await step(batchSize)) === batchSize) {}
      return checkpoint ?? undefined;
    },
    async rebuild(rebuildOptions = {}) {
      // Replaying onto a read model that was not emptied would apply every event twice.
      if (!projection.reset)
        throw new InvalidInputError('projection.reset', `projection "${name}" has no reset; define reset(context) to empty its read model before a rebuild.`);
      const wasRunning = loop !== undefined;
      await stopLoop();
      state = 'rebuilding';
      const started = performance.now();
      await target.reset(name, projection.reset);
      if (projection.init) await target.init(projection.init);
      initialised = true;
      checkpoint = null;
      mark.reset();
      progress.reset();
      const total = target.countEventsAfter ? await target.countEventsAfter(START) : undefined;
      let processed = 0;
      const report = (done: boolean): RebuildProgress => {
        const elapsedMs = performance.now() - started;
        const info = {
          name,
          processed,
          total,
          position: checkpoint ?? START,
          elapsedMs,
          eventsPerSecond: elapsedMs > 0 ? (processed * 1000) / elapsedMs : 0,
          done,
        };
        rebuildOptions.onProgress?.(info);
        return info;
      };
      const size = rebuildOptions.batchSize ?? 5000;
      for (let read = await step(size); read > 0; read = await step(size)) {
        processed += read;
        report(false);
      }
      const final = report(true);
      state = 'stopped';
      if (wasRunning) await runner.start();
      return final;
    },
    async status() {
      const head = await store.headPosition();
      const stored = checkpoint ?? (await target.loadCheckpoint(name)) ?? undefined;
      // Past the checkpoint, the stretch read with nothing this projection handles is applied too.
      const scanned = mark.start(stored ?? START);
      const position = stored === undefined && scanned === START ? undefined : scanned;
      const { count, capped } = await countAfter(position ?? START);
      let lagSeconds = 0;
      if (count > 0) {
        const [oldest] = await store.readAll({ after: position ?? START, maxCount: 1 });
        if (oldest) lagSeconds = Math.max(0, (clock.now().getTime() - oldest.occurredAt.getTime()) / 1000);
      }
      return { name, state, position, headPosition: head, lagEvents: count, lagEventsCapped: capped, lagSeconds, error };
    },
    async waitForPosition(position, waitOptions) {
      if (checkpoint === undefined) await ensureLoaded();
      const reached = await progress.waitFor(position, waitOptions.timeoutMs, waitOptions.signal);
      if (!reached) throw new ProjectionTimeoutError(name, position, checkpoint ?? undefined, waitOptions.timeoutMs);
    },
    wake() {
      appended = true;
      wakeUp?.();
    },
    get done() {
      return done;
    },
  };
  return runner;
}
