/**
 * The outbox relay: a checkpointed subscription that publishes stored events to their bindings.
 * Each cycle reads a batch after the checkpoint, publishes it (resolving only once the broker has
 * accepted it durably), and only then moves the checkpoint with compare-and-set. A crash between
 * publish and checkpoint republishes the batch on restart — at-least-once; consumers dedupe on the
 * message id (the event id). The partition key is the stream id, so per-stream order holds.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, systemClock } from '../clock.js';
import { type GlobalPosition, type RecordedEvent, START } from '../envelope.js';
import { EventfoldError, InvalidInputError, isEventfoldError } from '../errors.js';
import type { EventStore, TypedLogReader } from '../eventStore.js';
import { createScanMark } from '../scanMark.js';
import type { Binding } from './bindings.js';
import { eventToMessage } from './jsonSerde.js';
import type { OutgoingMessage } from './message.js';
import { publishRelayError, publishRelayPublished } from './messagingDiagnostics.js';
import { createInMemoryRelayLease, type RelayLease } from './relayLease.js';
import { type Sleep, systemSleep } from './timers.js';
import type { Transport } from './transport.js';

export interface RelayRoute {
  binding: Binding;
  /** Which events go to this binding. Default: all. Map domain events to integration events in `toMessage`. */
  filter?: (event: RecordedEvent) => boolean;
  /** Builds the message; return undefined to skip the event. Default: `eventToMessage` with the binding's partition key. */
  toMessage?: (event: RecordedEvent, binding: Binding) => OutgoingMessage | undefined;
}

/**
 * A store that tells listeners in this process about its appends (the PostgreSQL store does). A relay
 * over such a store wakes at once after a local append instead of waiting for its next poll.
 */
export interface AppendListenable {
  /** Calls `listener` after each append committed through this store object; returns the unsubscribe. */
  onAppend(listener: () => void): () => void;
}

export interface RelayOptions {
  /** Names the checkpoint and the lease. One name per relay pipeline; all its processes share it. */
  name: string;
  store: Pick<EventStore, 'readAll' | 'checkpoints'> & Partial<AppendListenable> & Partial<TypedLogReader>;
  /**
   * Every event type the routes can publish. With a store that filters by type (`readAllOfTypes`, the
   * PostgreSQL store) the relay then reads only those events instead of every event of the log, and
   * remembers how far a read looked (`scannedTo`) so the stretch is not read again; its checkpoint stays
   * at the last event it published. Events of other types are never published, so they must not be
   * routed. Ignored for stores without `readAllOfTypes`.
   */
  types?: readonly string[];
  /**
   * One transport, or transports by binder name (each route uses its binding's `binder`). Only
   * `publish` is used, so a `createThrottledPublisher(…)` can stand in to rate-limit the relay.
   */
  transport: RelayPublisher | Readonly<Record<string, RelayPublisher>>;
  routes: readonly RelayRoute[];
  /** Default: an in-process lease (one relay per process). Use the SQLite or PostgreSQL lease across processes. */
  lease?: RelayLease;
  /** This process's identity in the lease. Default host:pid:random. */
  owner?: string;
  /** Default 15,000. A standby takes over this long after the holder stopped renewing. */
  leaseTtlMs?: number;
  /** Events read and published per cycle. Default 500. */
  batchSize?: number;
  /**
   * Wait between polls when caught up, and between lease attempts on a standby, in ms. Default 100 /
   * leaseTtlMs ÷ 3. An append in this process (`wake()`, or the store's `onAppend`) ends the wait early.
   */
  pollIntervalMs?: number;
  /**
   * With a store that wakes the relay on its appends (`onAppend`), polls that find nothing back off:
   * the wait doubles from `pollIntervalMs` up to this, and a wake-up or a relayed event resets it.
   * Default 20 × pollIntervalMs. Ignored for stores without `onAppend` (they always poll at the interval).
   */
  maxIdleMs?: number;
  /**
   * After a wake-up by an append, wait this long before reading, so the appends that follow within it
   * share one cycle (one log read, one publish, one checkpoint) instead of a cycle each. Costs up to
   * this much latency per event. Default 0.
   */
  gatherMs?: number;
  /** Waits before retrying after a retryable failure (broker or store down), in ms. Default 1,000. */
  retryDelayMs?: number;
  clock?: Clock;
  sleep?: Sleep;
  signal?: AbortSignal;
  /** After each batch is published and checkpointed. */
  onPublished?: (batch: { from: GlobalPosition; to: GlobalPosition; events: number; messages: number }) => void;
  /** A retryable failure the relay will retry after `retryDelayMs`. */
  onError?: (error: unknown) => void;
}

export interface Relay {
  /** One cycle: take/renew the lease, publish the next batch, checkpoint. Resolves with the events relayed (0 when idle or standby). */
  runOnce(): Promise<number>;
  /** Cycles until stopped or a non-retryable error; the returned promise is `done`. */
  start(): Promise<void>;
  /** Stops after the current cycle and releases the lease. */
  stop(): Promise<void>;
  /** Ends the current wait between polls (there are new events to relay). */
  wake(): void;
  /** Last checkpointed position this process knows of. */
  readonly position: GlobalPosition;
  /** Whether this process held the lease at its last cycle. */
  readonly leader: boolean;
  readonly done: Promise<void>;
}

/** What the relay needs of a transport. */
export type RelayPublisher = Pick<Transport, 'publish'>;

function transportFor(transport: RelayOptions['transport'], binding: Binding): RelayPublisher {
  if (typeof (transport as RelayPublisher).publish === 'function') return transport as RelayPublisher;
  const found = (transport as Record<string, RelayPublisher>)[binding.binder];
  if (found === undefined) {
    throw new InvalidInputError(`routes.${binding.name}.binder`, `no transport for binder "${binding.binder}"; pass it in the relay's transport map.`);
  }
  return found;
}

/**
 * @example
 * const relay = createRelay({ name: 'orders-relay', store, transport, lease, routes: [{ binding: bindings.ordersOut }] });
 * void relay.start();
 */
export function createRelay(options: RelayOptions): Relay {
  if (typeof options.name !== 'string' || options.name.length === 0) throw new InvalidInputError('name', 'must name the relay (its checkpoint and lease).');
  if (options.routes.length === 0) throw new InvalidInputError('routes', 'must list at least one binding to publish to.');
  for (const route of options.routes) transportFor(options.transport, route.binding);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const lease = options.lease ?? createInMemoryRelayLease({ clock });
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID()}`;
  const ttl = options.leaseTtlMs ?? 15_000;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollIntervalMs ?? 100;
  const standbyMs = Math.max(pollMs, Math.floor(ttl / 3));
  const maxIdleMs = Math.max(pollMs, options.maxIdleMs ?? pollMs * 20);
  const retryMs = options.retryDelayMs ?? 1_000;
  const gatherMs = Math.max(0, options.gatherMs ?? 0);
  const typed = options.types !== undefined && options.types.length > 0 && options.store.readAllOfTypes !== undefined ? options.types : undefined;
  const mark = createScanMark();
  const readBatch = async (after: GlobalPosition): Promise<RecordedEvent[]> => {
    if (typed === undefined) return options.store.readAll({ after, maxCount: batchSize });
    const from = mark.start(after);
    const { events, scannedTo } = await (options.store as TypedLogReader).readAllOfTypes({ after: from, maxCount: batchSize, types: typed });
    mark.record(after, from, events, scannedTo);
    return events;
  };
  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort();
    else options.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let position: GlobalPosition = START;
  let leader = false;
  let running: Promise<void> | undefined;
  // The lease is renewed (one write) only once a third of its TTL has passed, not on every cycle, and
  // the checkpoint is re-read only when the lease is (re)taken: between renewals this process is the
  // only writer of the checkpoint, and its compare-and-set still fences a holder whose lease lapsed.
  const renewEveryMs = Math.max(1, Math.floor(ttl / 3));
  let renewedAt = Number.NEGATIVE_INFINITY;
  let known: { checkpoint: GlobalPosition | null } | undefined;
  const holdLease = async (): Promise<boolean> => {
    const now = clock.now().getTime();
    if (leader && now - renewedAt < renewEveryMs) return true;
    leader = await lease.tryAcquire(options.name, owner, ttl);
    if (leader) renewedAt = now;
    known = undefined;
    return leader;
  };
  // Wake-ups: an append in this process ends the wait between polls at once.
  let woken = false;
  let wakeWait: AbortController | undefined;
  const wake = () => {
    woken = true;
    wakeWait?.abort();
  };
  const unlisten = options.store.onAppend?.(wake);
  const idle = async (ms: number, signal: AbortSignal) => {
    if (!woken && !signal.aborted) {
      const wait = new AbortController();
      wakeWait = wait;
      const onAbort = () => wait.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await sleep(ms, wait.signal);
      } finally {
        signal.removeEventListener('abort', onAbort);
        wakeWait = undefined;
      }
    }
    // Woken by an append: let the appends right behind it gather for one read.
    if (woken && gatherMs > 0 && !signal.aborted) await sleep(gatherMs, signal);
  };

  const publishBatch = async (events: readonly RecordedEvent[]): Promise<number> => {
    const work: Promise<void>[] = [];
    let count = 0;
    for (const { binding, filter, toMessage } of options.routes) {
      const messages: OutgoingMessage[] = [];
      for (const event of events) {
        // System streams (`$…`: the store transport's messages, its dead letters) are plumbing, not events to publish.
        if (event.streamId.startsWith('$')) continue;
        if (filter !== undefined && !filter(event)) continue;
        const message = toMessage ? toMessage(event, binding) : eventToMessage(event, binding.producer?.partitionKey?.(event) ?? event.streamId);
        if (message !== undefined) messages.push(message);
      }
      count += messages.length;
      // Bindings are independent; within one binding the batch keeps store order per key.
      if (messages.length > 0) work.push(transportFor(options.transport, binding).publish(binding, messages));
    }
    await Promise.all(work);
    return count;
  };

  let wokenCycle = false;
  const runOnce = async (): Promise<number> => {
    wokenCycle = woken;
    woken = false;
    if (!(await holdLease())) return 0;
    known ??= { checkpoint: (await options.store.checkpoints.load(options.name)) ?? null };
    const checkpoint = known.checkpoint;
    position = checkpoint ?? START;
    const events = await readBatch(checkpoint ?? START);
    if (events.length === 0) return 0;
    const messages = await publishBatch(events);
    // Renew before moving the checkpoint: a holder whose lease lapsed mid-publish leaves it to the new holder.
    if (!(await holdLease())) return 0;
    const last = (events[events.length - 1] as RecordedEvent).globalPosition;
    try {
      await options.store.checkpoints.store(options.name, last, { expected: checkpoint });
    } catch (error) {
      known = undefined;
      if (!isEventfoldError(error, 'EVENTFOLD_CHECKPOINT_CONFLICT')) throw error;
      leader = false; // another process moved it: it owns the range now
      return 0;
    }
    known = { checkpoint: last };
    position = last;
    const batch = { from: checkpoint ?? START, to: last, events: events.length, messages };
    publishRelayPublished({ relay: options.name, ...batch });
    options.onPublished?.(batch);
    return events.length;
  };

  const loop = async () => {
    const signal = controller.signal;
    // Idle polls back off only when appends in this process wake the relay; appends elsewhere (or hidden
    // for a moment behind a concurrent writer) are then found within maxIdleMs.
    let idleMs = pollMs;
    try {
      while (!signal.aborted) {
        let relayed: number;
        try {
          relayed = await runOnce();
        } catch (error) {
          publishRelayError({ relay: options.name, error });
          if (!(error instanceof EventfoldError && error.retryable)) throw error;
          options.onError?.(error);
          await sleep(retryMs, signal);
          continue;
        }
        if (relayed < batchSize) {
          if (!leader) await sleep(standbyMs, signal);
          else {
            idleMs = relayed > 0 || wokenCycle || unlisten === undefined ? pollMs : Math.min(maxIdleMs, idleMs * 2);
            await idle(idleMs, signal);
          }
        }
      }
    } finally {
      unlisten?.();
      if (leader) await lease.release(options.name, owner).catch(() => undefined);
      leader = false;
    }
  };

  return {
    runOnce,
    wake,
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
    get leader() {
      return leader;
    },
    get done() {
      return running ?? Promise.resolve();
    },
  };
}

/**
 * Starts a relay and stops it cleanly on SIGTERM/SIGINT: the entry point of a relay process.
 * A SIGKILL loses nothing — the next process resumes from the checkpoint.
 */
export function runRelay(options: RelayOptions & { handleSignals?: boolean }): Relay {
  const relay = createRelay(options);
  const stop = () => void relay.stop();
  if (options.handleSignals !== false) {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  relay
    .start()
    .catch((error: unknown) => {
      // A relay that cannot go on must not die silently: say why and fail the process.
      console.error(`eventfold relay "${options.name}" stopped:`, error);
      process.exitCode = 1;
    })
    .finally(() => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    });
  return relay;
}
