/**
 * The saga engine: load an instance's log, decide, append with the expected version. Every writer of
 * a saga log — the runner (starts and replies from the global log), the timer pump and the operator
 * API — goes through `apply`, so concurrent writers meet at the stream's version and retry. Event
 * ids derive from the input, so an input handled twice (a crash before the checkpoint moved, a
 * duplicate delivery) is recognised from the log and changes nothing.
 */
import type { Clock } from '../clock.js';
import type { EventToAppend, RecordedEvent } from '../envelope.js';
import { isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { decideSaga, type SagaInput } from './decideSaga.js';
import type { SagaDefinition } from './defineSaga.js';
import { deterministicIdAfter } from './deterministicId.js';
import { publishSagaNeedsAttention, publishSagaTransition } from './sagaDiagnostics.js';
import { type CausedSagaLogEvent, isSagaLogEvent, type SagaLogEvent, sagaStreamId, sagaStreamPrefix } from './sagaLog.js';
import { evolveSaga, foldSaga, initialSagaState, type SagaState } from './sagaState.js';
import type { DurableTimer, TimerStore } from './timerStore.js';

export interface SagaEngineOptions {
  store: Pick<EventStore, 'readStream' | 'appendToStream'>;
  // biome-ignore lint/suspicious/noExplicitAny: the engine runs any saga; its data and event types do not matter here.
  saga: SagaDefinition<any, any>;
  timers: TimerStore;
  clock: Clock;
  random: () => number;
}

export interface LoadedSaga {
  state: SagaState;
  events: RecordedEvent[];
}

export interface SagaEngine {
  readonly timerOwner: string;
  load(sagaId: string): Promise<LoadedSaga>;
  /** Decides on one input and appends the result; resolves with what was appended (empty: nothing to do). */
  apply(sagaId: string, input: SagaInput, meta?: { correlationId?: string }): Promise<{ appended: SagaLogEvent[]; state: SagaState }>;
  /** One event of the global log: a start, a reply, or a timer to (re)schedule. */
  handleLogEvent(event: RecordedEvent): Promise<void>;
  /** The saga instance an event of the log concerns (undefined: none); events of one instance must be handled in order. */
  instanceOf(event: RecordedEvent): string | undefined;
  /** A due timer: the saga decides what it means now. */
  fire(timer: DurableTimer): Promise<void>;
}

const MAX_CONFLICT_RETRIES = 20;
/** Saga states kept in memory per engine (least recently used dropped first). */
const CACHED_SAGAS = 10_000;

export function toSagaLogEvents(events: readonly RecordedEvent[]): CausedSagaLogEvent[] {
  return events.filter(isSagaLogEvent).map((e) => ({ type: e.type, data: e.data, causationId: e.causationId }) as CausedSagaLogEvent);
}

/** Whether a saga log event schedules a timer: a retry's `SagaTimerScheduled`, or a command issued with its timeout. */
export function schedulesTimer(event: { type: string; data: unknown }): boolean {
  return event.type === 'SagaTimerScheduled' || (event.type === 'SagaCommandIssued' && (event.data as { timeout?: unknown }).timeout !== undefined);
}

/** The durable timers saga log events schedule (`SagaTimerScheduled`, and `SagaCommandIssued.timeout`). */
export function timersOf(sagaName: string, events: readonly { type: string; data: unknown }[]): DurableTimer[] {
  const timers: DurableTimer[] = [];
  const owner = `saga:${sagaName}`;
  for (const event of events) {
    if (event.type === 'SagaTimerScheduled') {
      const data = event.data as { timerId: string; sagaId: string; dueAt: string };
      timers.push({ id: data.timerId, owner, key: data.sagaId, dueAt: new Date(data.dueAt), payload: { sagaId: data.sagaId } });
    } else if (event.type === 'SagaCommandIssued') {
      const data = event.data as { sagaId: string; timeout?: { timerId: string; dueAt: string } };
      if (data.timeout !== undefined)
        timers.push({ id: data.timeout.timerId, owner, key: data.sagaId, dueAt: new Date(data.timeout.dueAt), payload: { sagaId: data.sagaId } });
    }
  }
  return timers;
}

export function createSagaEngine(options: SagaEngineOptions): SagaEngine {
  const { store, saga, timers, clock, random } = options;
  const prefix = sagaStreamPrefix(saga.name);
  const timerOwner = `saga:${saga.name}`;

  const load = async (sagaId: string): Promise<LoadedSaga> => {
    const events = await store.readStream(sagaStreamId(saga.name, sagaId));
    return { events, state: foldSaga(toSagaLogEvents(events)) };
  };

  // Folded states by stream, valid at their version. A decision is taken on the kept state without a
  // read and appended expecting its version: when another writer (the timer pump, the operator API,
  // another process) moved the stream, the store refuses and the retry reads what is new. The store
  // stays the truth, so the cache needs no invalidation.
  const cache = new Map<string, { state: SagaState; correlationId: string | undefined }>();
  const remember = (streamId: string, entry: { state: SagaState; correlationId: string | undefined }) => {
    cache.delete(streamId);
    cache.set(streamId, entry);
    if (cache.size > CACHED_SAGAS) cache.delete(cache.keys().next().value as string);
  };
  const current = async (streamId: string, fresh: boolean, start: boolean) => {
    const cached = cache.get(streamId);
    if (cached !== undefined && !fresh) return cached;
    // A start for an instance this engine has not seen is most likely new: decide on the initial
    // state and append expecting no stream; if the instance exists after all, the store refuses.
    if (cached === undefined && !fresh && start) return { state: initialSagaState, correlationId: undefined };
    const events = await store.readStream(streamId, cached && cached.state.version > 0 ? { fromVersion: cached.state.version + 1 } : {});
    if (cached !== undefined && events.length === 0) return cached;
    const entry = { state: foldSaga(toSagaLogEvents(events), cached?.state), correlationId: cached?.correlationId ?? events[0]?.correlationId };
    if (entry.state.version > 0) remember(streamId, entry);
    return entry;
  };

  const apply: SagaEngine['apply'] = async (sagaId, input, meta = {}) => {
    const streamId = sagaStreamId(saga.name, sagaId);
    // The first attempt decides on the kept state (or, for a start, on none), unread; a refusal or a
    // do-nothing answer on it reads.
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      const { state, correlationId: known } = await current(streamId, fresh, input.kind === 'start');
      const decided = decideSaga(saga, state, input, { streamId, now: clock.now(), random });
      if (decided.length === 0) {
        // "Already handled" only grows, so the kept state can say it; anything else (a late reply, a
        // saga an operator has since retried) is decided again on what the log holds now.
        if (fresh || state.handled.includes(input.id)) return { appended: [], state };
        fresh = true;
        continue;
      }
      const correlationId = known ?? meta.correlationId;
      const toAppend = decided.map(
        (e, i): EventToAppend<string, unknown> => ({
          type: e.type,
          data: e.data,
          // A command's event id is its command id: the relayed message id that consumers dedupe on.
          eventId: e.type === 'SagaCommandIssued' ? e.data.commandId : deterministicIdAfter(state.anchor ?? input.id, streamId, 'event', input.id, String(i)),
          causationId: input.id,
          ...(correlationId !== undefined ? { correlationId } : {}),
        }),
      );
      let stored: boolean;
      try {
        stored = (await store.appendToStream(streamId, toAppend, { expectedVersion: state.version === 0 ? 'no_stream' : state.version })).alreadyStored;
      } catch (error) {
        // A conflict — or, for a decision on an unread state, some of its ids already in the log (a second
        // start event for a running instance derives its first command's id again) — reads and decides again.
        const stale = isEventfoldError(error, 'EVENTFOLD_CONCURRENCY') || (!fresh && isEventfoldError(error, 'EVENTFOLD_DUPLICATE_EVENT'));
        if (attempt < MAX_CONFLICT_RETRIES && stale) {
          fresh = true;
          continue;
        }
        // Whatever the refusal, the next try starts from the log.
        cache.delete(streamId);
        throw error;
      }
      if (stored) {
        // Another writer appended this very decision (the same input, handled elsewhere): read what
        // the log holds now, where the input shows as handled.
        if (attempt >= MAX_CONFLICT_RETRIES) return { appended: [], state };
        fresh = true;
        continue;
      }
      let after = state;
      for (const event of decided) {
        after = evolveSaga(after, { ...event, causationId: input.id } as CausedSagaLogEvent);
        publishSagaTransition({ saga: saga.name, sagaId, type: event.type, status: after.status });
        if (event.type === 'SagaAttentionRequested') publishSagaNeedsAttention(event.data);
      }
      remember(streamId, { state: after, correlationId });
      // Timers are also scheduled when the runner reads these events back from the log; doing it now saves a round.
      const scheduled = timersOf(saga.name, decided);
      if (scheduled.length > 0) await timers.schedule(scheduled);
      const live = new Set(laneTimers(after));
      const obsolete = laneTimers(state).filter((id) => !live.has(id));
      // A step that got its answer no longer needs its timeout; firing it would change nothing, so skip the work.
      if (obsolete.length > 0) await timers.markFired(obsolete);
      return { appended: decided, state: after };
    }
  };

  const instanceOf = (event: RecordedEvent): string | undefined => {
    if (event.streamId.startsWith(prefix)) return schedulesTimer(event) ? event.streamId.slice(prefix.length) : undefined;
    if (saga.startTypes.has(event.type))
      return (saga.startedBy[event.type] as ((e: RecordedEvent) => { sagaId: string } | undefined) | undefined)?.(event)?.sagaId;
    if (saga.replyTypes.has(event.type)) return saga.associate(event);
    return undefined;
  };

  return {
    timerOwner,
    load,
    apply,
    instanceOf,
    async handleLogEvent(event) {
      if (event.streamId.startsWith(prefix)) {
        const scheduled = timersOf(saga.name, [event]);
        if (scheduled.length > 0) await timers.schedule(scheduled);
        return;
      }
      if (saga.startTypes.has(event.type)) {
        const start = saga.startedBy[event.type] as ((e: RecordedEvent) => { sagaId: string } | undefined) | undefined;
        const started = start?.(event);
        if (started === undefined) return;
        await apply(started.sagaId, { kind: 'start', id: event.eventId, event }, { correlationId: event.correlationId ?? event.eventId });
        return;
      }
      if (saga.replyTypes.has(event.type)) {
        const sagaId = saga.associate(event);
        if (sagaId === undefined) return;
        await apply(sagaId, { kind: 'reply', id: event.eventId, event });
      }
    },
    async fire(timer) {
      await apply(timer.key, { kind: 'timer', id: timer.id });
    },
  };
}

/** The timers the steps in progress wait on (timeouts and retries). */
function laneTimers(state: SagaState): string[] {
  return state.lanes.flatMap((lane) => [lane.timeoutTimerId, lane.retryTimerId].filter((id): id is string => id !== undefined));
}
