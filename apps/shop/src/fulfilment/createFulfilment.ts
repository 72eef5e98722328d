/**
 * Runs the orchestrated fulfilment saga on the saga machinery. Starts and replies arrive as
 * integration events on the saga's consumers and go straight to a saga engine (the saga log is
 * their inbox: each input's message id is recorded, so a redelivery changes nothing); that engine's
 * timer writes are gathered (`bufferTimers`). The saga runner keeps the durable timers: it fires due
 * timeouts and retries, and writes any timer a crash left unwritten from the log (a command's
 * `timeout`, a retry's `SagaTimerScheduled`). Commands leave through the relay (`fulfilmentCommandRoute`); the operator API
 * reads and repairs saga instances.
 */
import {
  type Clock,
  createInMemoryTimerStore,
  createSagaEngine,
  createSagaOperator,
  createSagaRunner,
  defineBinding,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
  type RelayRoute,
  runInMessageContext,
  type SagaInput,
  type SagaLogEvent,
  type SagaOperator,
  type SagaRunner,
  START,
  sagaCommandRoute,
  sagaStreamId,
  type TimerStore,
  type TypedLogReader,
  timersOf,
  uuidv7,
} from '@eventfold/core';
import type { PostgresEventStore } from '@eventfold/postgres';
import type { SqliteEventStore } from '@eventfold/sqlite';
import type { ShopConfig } from '../config/loadConfig.js';
import type { IntegrationMessage } from '../contracts/integrationEvents.js';
import { type BufferedTimers, bufferTimers } from './bufferTimers.js';
import { FULFILMENT_INPUTS, FULFILMENT_SAGA, type FulfilmentTarget, fulfilmentSaga } from './fulfilmentSaga.js';

/** Where the saga's consumers hand over what they receive. */
export interface FulfilmentInbox {
  /** A start or reply, delivered as message `messageId` (its id dedupes redeliveries). */
  deliver(message: IntegrationMessage, meta: { messageId: string; correlationId: string }): Promise<void>;
}

export interface Fulfilment extends FulfilmentInbox {
  /**
   * Starts the saga of an order placed in this process at once, without waiting for `OrderPlaced` to
   * come back through the broker; when it does, it is acknowledged unread. If this fails (or the process
   * stops first) the broker's delivery starts the saga as before.
   */
  startLocally(placed: IntegrationMessage): Promise<void>;
  readonly runner: SagaRunner;
  readonly operator: SagaOperator;
  readonly timers: TimerStore;
  start(): void;
  stop(): Promise<void>;
}

/**
 * A service in this process that the saga hands its commands to at once, not only through the broker.
 * The relay still publishes them (the backstop after a crash: the service's handlers are idempotent,
 * so the second delivery changes nothing).
 */
export interface LocalCommands {
  to: FulfilmentTarget;
  handle(command: IntegrationMessage): Promise<void>;
}

export interface FulfilmentOptions {
  config: Pick<ShopConfig, 'store'>;
  store: EventStore;
  clock: Clock;
  /** Runner poll when idle, in ms: only timers wait for it (replies go straight to the engine). Default 200. */
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
  /** Commands for a service of this process, handed over at once (distributed mode: the orders service). */
  localCommands?: LocalCommands;
}

/** Saga commands on `<namespace>.fulfilment`: message id = command id, key = the saga instance. */
export function fulfilmentCommandRoute(binder: string, destination: string): RelayRoute {
  return sagaCommandRoute(defineBinding('fulfilment-out', { binder, destination }), { saga: FULFILMENT_SAGA });
}

/** Timers in the store's own database, so they survive a restart with it. */
async function timerStoreFor(config: Pick<ShopConfig, 'store'>, store: EventStore, clock: Clock): Promise<TimerStore> {
  if (config.store.kind === 'sqlite') {
    const { createSqliteTimerStore } = await import('@eventfold/sqlite');
    return createSqliteTimerStore({ store: store as SqliteEventStore, clock });
  }
  if (config.store.kind === 'postgres') {
    const { createPostgresTimerStore } = await import('@eventfold/postgres');
    return createPostgresTimerStore({ store: store as PostgresEventStore, clock });
  }
  return createInMemoryTimerStore();
}

const NOT_FOR_THE_RUNNER = '$FulfilmentInputDeliveredByConsumer';
/** The saga log entries that can schedule a timer: a command with its timeout, a retry. */
const TIMER_ENTRIES = ['SagaCommandIssued', 'SagaTimerScheduled'];

/**
 * The log as the runner sees it: starts and replies are delivered by the consumers, so the runner
 * must not handle them a second time; it only needs the saga log's timer entries, and of those only
 * the ones this process has not written (or settled) already.
 *
 * It sees an entry only once the entry is as old as the buffer's hold: by then this process has either
 * settled that timer unwritten or written it, so the runner writes only what a crash (or another
 * process) left behind, and its checkpoint trails the log by the hold. "As old" is by the entry's
 * `occurredAt` or by when this view first read it, whichever is earlier, so a writer whose clock runs
 * ahead delays an entry by at most one hold. Entries read but not yet old enough are kept here, not
 * read again every poll.
 */
function timerView(store: EventStore, buffered: BufferedTimers, clock: Clock): Pick<EventStore, 'readAll' | 'readStream' | 'appendToStream' | 'checkpoints'> {
  const prefix = sagaStreamId(FULFILMENT_SAGA, '');
  const typed = (store as Partial<TypedLogReader>).readAllOfTypes?.bind(store);
  const skip = (e: RecordedEvent) => {
    if (!e.streamId.startsWith(prefix)) return FULFILMENT_INPUTS.has(e.type);
    // A saga log entry matters to the runner only when it schedules a timer this process did not write (or settle).
    const timer = timersOf(FULFILMENT_SAGA, [e])[0];
    return timer === undefined || buffered.takeWritten(timer.id);
  };
  /** Read past `after` up to `readTo`, not yet handed to the runner, each with the (local) time it was first read. */
  let tail: { after: GlobalPosition; readTo: GlobalPosition; events: { event: RecordedEvent; seenAt: number }[] } | undefined;
  return {
    readStream: (streamId, options) => store.readStream(streamId, options),
    appendToStream: (streamId, events, options) => store.appendToStream(streamId, events, options),
    checkpoints: store.checkpoints,
    async readAll(options) {
      const after = options?.after ?? START;
      const maxCount = options?.maxCount ?? 500;
      const now = clock.now().getTime();
      // The runner moved on (it checkpointed what it got) or started over elsewhere (a restart, a reset).
      if (tail !== undefined && after !== tail.after) {
        if (after > tail.after && after <= tail.readTo) {
          tail.events = tail.events.filter((e) => e.event.globalPosition > after);
          tail.after = after;
        } else tail = undefined;
      }
      tail ??= { after, readTo: after, events: [] };
      // Timers the reply path gathered are written first (half a hold of slack: an entry's schedule is
      // gathered just after its append commits); those the runner then need not write again.
      await buffered.flushGatheredBefore(new Date(now - buffered.holdMs / 2));
      if (tail.events.length < maxCount) {
        // Only the timer entries: a store that filters by type in the database (PostgreSQL) sends just
        // those, not every event of every context every poll.
        const read = typed
          ? await typed({ after: tail.readTo, maxCount, types: TIMER_ENTRIES })
          : { events: await store.readAll({ after: tail.readTo, maxCount }), scannedTo: undefined };
        for (const event of read.events) tail.events.push({ event, seenAt: now });
        tail.readTo = read.scannedTo ?? read.events[read.events.length - 1]?.globalPosition ?? tail.readTo;
      }
      const ripe = now - buffered.holdMs;
      const young = tail.events.findIndex((e) => Math.min(e.event.occurredAt.getTime(), e.seenAt) > ripe);
      const given = tail.events.slice(0, Math.min(young < 0 ? tail.events.length : young, maxCount));
      return given.map(({ event: e }) => (skip(e) ? { ...e, type: NOT_FOR_THE_RUNNER } : e));
    },
  };
}

/**
 * @example
 * const fulfilment = await createFulfilment({ config, store, clock });
 * fulfilment.start(); // in the process that runs the orders service
 */
export async function createFulfilment(options: FulfilmentOptions): Promise<Fulfilment> {
  const { store, clock } = options;
  const timers = await timerStoreFor(options.config, store, clock);
  const buffered = bufferTimers(timers, { clock, ...(options.onError ? { onError: options.onError } : {}) });
  const runner = createSagaRunner({
    store: timerView(store, buffered, clock),
    saga: fulfilmentSaga,
    timers,
    clock,
    pollIntervalMs: options.pollIntervalMs ?? 200,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const operator = createSagaOperator({ store, saga: fulfilmentSaga, timers, clock });
  // The reply path's engine: the same saga and store, its timer writes gathered (see bufferTimers).
  const engine = createSagaEngine({ store, saga: fulfilmentSaga, timers: buffered, clock, random: Math.random });
  // One saga instance's inputs one after another in this process: replies from four consumers would
  // otherwise meet at the saga log's version and retry. Other processes are arbitrated by the store.
  const tails = new Map<string, Promise<unknown>>();
  const serialize = (sagaId: string, work: () => Promise<unknown>): Promise<unknown> => {
    const run = (tails.get(sagaId) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(sagaId, tail);
    void tail.then(() => {
      if (tails.get(sagaId) === tail) tails.delete(sagaId);
    });
    return run;
  };
  const local = options.localCommands;
  const handOver = (appended: readonly SagaLogEvent[], correlationId: string) => {
    for (const entry of appended) {
      if (entry.type !== 'SagaCommandIssued' || entry.data.command.to !== local?.to) continue;
      const { commandId, command } = entry.data;
      // The command id is its cause, as for a delivered command; the relay's copy comes later and finds it done.
      void runInMessageContext({ messageId: commandId, correlationId, causationId: commandId, headers: {} }, () =>
        local.handle({ type: command.type, data: command.data } as IntegrationMessage),
      ).catch((error: unknown) => options.onError?.(error));
    }
  };
  const apply = async (sagaId: string, input: SagaInput, correlationId: string) => {
    const { appended } = await engine.apply(sagaId, input, { correlationId });
    if (local !== undefined) handOver(appended, correlationId);
  };
  /** Orders whose saga `startLocally` started: the broker's `OrderPlaced` for them is acknowledged unread. */
  const startedHere = new Set<string>();
  let started: Promise<void> | undefined;
  return {
    runner,
    operator,
    timers,
    async deliver(message, meta) {
      if (!FULFILMENT_INPUTS.has(message.type)) return;
      const sagaId = message.data.orderId;
      const kind = fulfilmentSaga.startTypes.has(message.type) ? 'start' : 'reply';
      if (kind === 'start' && startedHere.delete(sagaId)) return;
      await serialize(sagaId, () => apply(sagaId, { kind, id: meta.messageId, event: message }, meta.correlationId));
    },
    async startLocally(placed) {
      if (!fulfilmentSaga.startTypes.has(placed.type)) return;
      const sagaId = placed.data.orderId;
      await serialize(sagaId, () => apply(sagaId, { kind: 'start', id: uuidv7(), event: placed }, sagaId));
      // Bounded: an entry leaves when the broker's copy arrives; after a crash or a lost copy, the oldest go first.
      if (startedHere.size >= 100_000) startedHere.delete(startedHere.values().next().value as string);
      startedHere.add(sagaId);
    },
    start() {
      started ??= runner.start().catch((error: unknown) => options.onError?.(error));
    },
    async stop() {
      await runner.stop();
      await started;
      await buffered.close();
    },
  };
}
