/**
 * Runs reactions: a checkpointed subscription over the global log plus a timer pump for their
 * deadlines. Each handler runs inside the event's message context (correlation id kept, the event
 * named as cause). Delivery is at-least-once: a crash before the checkpoint moves runs the batch
 * again, so effects must be idempotent — a decider that refuses to do the same thing twice, `emit`
 * (deterministic ids) or an inbox.
 */
import { type Clock, systemClock } from '../clock.js';
import { runInMessageContext } from '../cqrs/messageContext.js';
import { type GlobalPosition, type JsonValue, type RecordedEvent, START } from '../envelope.js';
import { EventfoldError, InvalidInputError, isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { type Sleep, systemSleep } from '../messaging/timers.js';
import type { Reaction, ReactionContext } from './defineReaction.js';
import { deterministicIdAfter } from './deterministicId.js';
import type { TimerStore } from './timerStore.js';

export interface ReactorOptions {
  /** Names the checkpoint (`reactor:<name>`) and the timers. One name per service. */
  name: string;
  store: Pick<EventStore, 'readAll' | 'appendToStream' | 'checkpoints'>;
  // biome-ignore lint/suspicious/noExplicitAny: a reactor runs reactions over different event types.
  reactions: readonly Reaction<any>[];
  /** Needed when a reaction schedules deadlines. */
  timers?: TimerStore;
  clock?: Clock;
  sleep?: Sleep;
  batchSize?: number;
  pollIntervalMs?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
  onError?: (error: unknown) => void;
}

export interface Reactor {
  runOnce(): Promise<{ events: number; timers: number }>;
  drain(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly position: GlobalPosition;
  readonly done: Promise<void>;
}

interface TimerPayload {
  reaction: string;
  payload: JsonValue;
  sourceId: string;
  correlationId: string;
}

/**
 * @example
 * const payments = createReactor({ name: 'payments', store, reactions: [chargeOnOrder, refundOnRelease], timers });
 * void payments.start();
 */
export function createReactor(options: ReactorOptions): Reactor {
  const { store, reactions } = options;
  if (typeof options.name !== 'string' || options.name.length === 0) throw new InvalidInputError('name', 'must name the reactor (its checkpoint).');
  const names = new Set<string>();
  for (const reaction of reactions) {
    if (names.has(reaction.name)) throw new InvalidInputError('reactions', `two reactions are named "${reaction.name}"; names must be unique in a reactor.`);
    names.add(reaction.name);
  }
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollIntervalMs ?? 100;
  const retryMs = options.retryDelayMs ?? 1_000;
  const checkpointName = `reactor:${options.name}`;
  const owner = checkpointName;
  const byType = new Map<string, Reaction<RecordedEvent>[]>();
  for (const reaction of reactions) for (const type of reaction.on) byType.set(type, [...(byType.get(type) ?? []), reaction as Reaction<RecordedEvent>]);
  const controller = new AbortController();
  if (options.signal) {
    if (options.signal.aborted) controller.abort();
    else options.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  let position: GlobalPosition = START;
  let running: Promise<void> | undefined;

  const contextFor = (reaction: Reaction<RecordedEvent>, sourceId: string, correlationId: string): ReactionContext => {
    let emitted = 0;
    let scheduled = 0;
    return {
      now: clock.now(),
      async emit(streamId, events, emitOptions = {}) {
        const base = emitted;
        emitted += events.length;
        await store.appendToStream(
          streamId,
          events.map((e, i) => ({
            ...e,
            eventId: deterministicIdAfter(sourceId, owner, reaction.name, sourceId, 'emit', String(base + i)),
            correlationId,
            causationId: sourceId,
          })),
          emitOptions.expectedVersion === undefined ? {} : { expectedVersion: emitOptions.expectedVersion },
        );
      },
      async schedule(afterMs, payload) {
        if (options.timers === undefined)
          throw new InvalidInputError('timers', `reaction "${reaction.name}" schedules a deadline; give the reactor a timer store.`);
        if (!Number.isFinite(afterMs) || afterMs < 0) throw new InvalidInputError('afterMs', 'must be a number of milliseconds ≥ 0.');
        const id = deterministicIdAfter(sourceId, owner, reaction.name, sourceId, 'timer', String(scheduled++));
        const data: TimerPayload = { reaction: reaction.name, payload, sourceId, correlationId };
        await options.timers.schedule([
          { id, owner, key: reaction.name, dueAt: new Date(clock.now().getTime() + afterMs), payload: data as unknown as JsonValue },
        ]);
      },
    };
  };

  const handleBatch = async (): Promise<number> => {
    const checkpoint = (await store.checkpoints.load(checkpointName)) ?? null;
    position = checkpoint ?? START;
    const events = await store.readAll({ after: position, maxCount: batchSize });
    let handled: GlobalPosition | null = checkpoint;
    try {
      for (const event of events) {
        const correlationId = event.correlationId ?? event.eventId;
        for (const reaction of byType.get(event.type) ?? []) {
          const context = { messageId: event.eventId, correlationId, causationId: event.causationId, headers: event.headers };
          await runInMessageContext(context, () => reaction.handle(event, contextFor(reaction, event.eventId, correlationId)));
        }
        handled = event.globalPosition;
      }
    } finally {
      // Keep what succeeded before a failing event, so a retry starts at the failure.
      if (handled !== null && handled !== checkpoint) {
        await store.checkpoints.store(checkpointName, handled, { expected: checkpoint });
        position = handled;
      }
    }
    return events.length;
  };

  const fireDue = async (): Promise<number> => {
    if (options.timers === undefined) return 0;
    const due = await options.timers.due(owner, clock.now(), batchSize);
    for (const timer of due) {
      const data = timer.payload as unknown as TimerPayload;
      const reaction = reactions.find((r) => r.name === data.reaction) as Reaction<RecordedEvent> | undefined;
      if (reaction?.onTimer !== undefined) {
        const onTimer = reaction.onTimer.bind(reaction);
        // Writes caused by a deadline name the event that set it as their cause, so the flow stays one tree.
        const context = { messageId: data.sourceId, correlationId: data.correlationId, causationId: undefined, headers: { 'eventfold-timer-id': timer.id } };
        await runInMessageContext(context, () => onTimer(data.payload, contextFor(reaction, timer.id, data.correlationId)));
      }
      await options.timers.markFired([timer.id]);
    }
    return due.length;
  };

  const runOnce = async () => ({ events: await handleBatch(), timers: await fireDue() });

  const loop = async () => {
    const signal = controller.signal;
    while (!signal.aborted) {
      let done: { events: number; timers: number };
      try {
        done = await runOnce();
      } catch (error) {
        if (!(error instanceof EventfoldError && error.retryable)) throw error;
        options.onError?.(error);
        await sleep(isEventfoldError(error, 'EVENTFOLD_CHECKPOINT_CONFLICT') ? pollMs : retryMs, signal);
        continue;
      }
      if (done.events < batchSize && done.timers === 0) await sleep(pollMs, signal);
    }
  };

  return {
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
