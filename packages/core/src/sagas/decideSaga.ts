/**
 * The saga's decision function: given its state and one input (a start event, a reply, a timer, an
 * operator request) it returns the saga log events to append — commands and timers included. Pure
 * apart from `now` and `random`, which the caller injects, so fixtures and the simulation replay it.
 */
import type { JsonObject } from '../envelope.js';
import { createRetryPolicy, type RetryPolicyOptions } from '../messaging/retryPolicy.js';
import { actionRetry, compensationRetry, type ReplyHandler, type ReplyVerdict, type SagaDefinition, type SagaInputEvent, type SagaStep } from './defineSaga.js';
import { deterministicIdAfter } from './deterministicId.js';
import { SagaStateError } from './sagaErrors.js';
import type { SagaCommand, SagaLogEvent, SagaLogEventMap, SagaPhase } from './sagaLog.js';
import { evolveSaga, type SagaLane, type SagaState } from './sagaState.js';

export type SagaInput =
  | { kind: 'start'; id: string; event: SagaInputEvent }
  | { kind: 'reply'; id: string; event: SagaInputEvent }
  | { kind: 'timer'; id: string }
  | { kind: 'retry'; id: string; note?: string }
  | { kind: 'resolve'; id: string; resolution: 'Completed' | 'Compensated'; note?: string };

export interface DecideSagaContext {
  /** The saga log stream; ids of commands and timers derive from it. */
  streamId: string;
  now: Date;
  /** Uniform in [0, 1): jitter of retry delays. */
  random: () => number;
}

type AnyStep = SagaStep<never, never>;

/**
 * @example
 * const events = decideSaga(fulfilment, state, { kind: 'reply', id: event.eventId, event }, { streamId, now, random: Math.random });
 */
export function decideSaga(definition: SagaDefinition<never, never>, state: SagaState, input: SagaInput, context: DecideSagaContext): SagaLogEvent[] {
  if (state.handled.includes(input.id)) return [];
  const out: SagaLogEvent[] = [];
  let current = state;
  const emit = <K extends keyof SagaLogEventMap>(type: K, data: SagaLogEventMap[K]) => {
    const event = { type, data } as SagaLogEvent;
    out.push(event);
    current = evolveSaga(current, { ...event, causationId: input.id });
  };
  const saga = definition.name;
  const sagaId = () => current.sagaId as string;
  const step = (name: string) => definition.steps[definition.stepIndex(name)] as unknown as AnyStep;

  const issue = (name: string, phase: 'action' | 'compensation', attempt: number) => {
    const s = step(name);
    const ctx = { sagaId: sagaId(), step: name, attempt };
    const command: SagaCommand =
      phase === 'action' ? s.action(current.data as never, ctx) : (s.compensation as NonNullable<AnyStep['compensation']>).action(current.data as never, ctx);
    // A compensation that expects no reply is done once its command is out: nothing to time out.
    const fireAndForget = phase === 'compensation' && Object.keys(s.compensation?.replies ?? {}).length === 0;
    const timeoutMs = fireAndForget ? undefined : phase === 'action' ? s.timeoutMs : s.compensation?.timeoutMs;
    emit('SagaCommandIssued', {
      saga,
      sagaId: sagaId(),
      commandId: deterministicIdAfter(current.anchor, context.streamId, 'command', name, phase, String(attempt)),
      idempotencyKey: `${saga}:${sagaId()}:${name}:${phase}`,
      step: name,
      phase,
      attempt,
      command: { type: command.type, data: command.data, to: command.to ?? null },
      ...(timeoutMs === undefined
        ? {}
        : {
            timeout: {
              timerId: timerIdFor('timeout', name, phase, attempt),
              dueAt: new Date(context.now.getTime() + timeoutMs).toISOString(),
            },
          }),
    });
    if (fireAndForget) {
      emit('SagaCompensationSucceeded', { step: name, replyType: null });
      compensateNext();
    }
  };

  const timerIdFor = (purpose: 'timeout' | 'retry', name: string, phase: SagaPhase, attempt: number) =>
    deterministicIdAfter(current.anchor, context.streamId, 'timer', purpose, name, phase, String(attempt));

  const schedule = (purpose: 'retry', name: string, phase: SagaPhase, attempt: number, afterMs: number) => {
    emit('SagaTimerScheduled', {
      saga,
      sagaId: sagaId(),
      timerId: timerIdFor(purpose, name, phase, attempt),
      dueAt: new Date(context.now.getTime() + afterMs).toISOString(),
      purpose,
      step: name,
      phase,
      attempt,
    });
  };

  const startStage = (index: number) => {
    for (const name of definition.stages[index] ?? []) issue(name, 'action', 1);
  };

  /** After `done` succeeded: once its whole stage has, the next stage starts (or the saga completes). */
  const advance = (done: string) => {
    const stage = definition.stageOf(done);
    if (!(definition.stages[stage] ?? []).every((name) => current.succeeded.includes(name))) return; // a parallel step is still out
    if (stage + 1 < definition.stages.length) return startStage(stage + 1);
    const finals = definition.onCompleted?.(current.data as never, { sagaId: sagaId() }) ?? [];
    finals.forEach((command, i) => {
      emit('SagaCommandIssued', {
        saga,
        sagaId: sagaId(),
        commandId: deterministicIdAfter(current.anchor, context.streamId, 'command', 'completion', String(i)),
        idempotencyKey: `${saga}:${sagaId()}:completion:${i}`,
        step: 'completion',
        phase: 'completion',
        attempt: 1,
        command: { type: command.type, data: command.data, to: command.to ?? null },
      });
    });
    emit('SagaCompleted', {});
  };

  const compensateNext = () => {
    const next = current.compensations[0];
    if (next !== undefined) return issue(next, 'compensation', 1);
    const finals =
      definition.onCompensated?.(current.data as never, {
        sagaId: sagaId(),
        reason: current.failure ?? '',
        ...(current.failedStep === undefined ? {} : { step: current.failedStep }),
      }) ?? [];
    finals.forEach((command, i) => {
      emit('SagaCommandIssued', {
        saga,
        sagaId: sagaId(),
        commandId: deterministicIdAfter(current.anchor, context.streamId, 'command', 'compensated', String(i)),
        idempotencyKey: `${saga}:${sagaId()}:compensated:${i}`,
        step: 'compensated',
        phase: 'completion',
        attempt: 1,
        command: { type: command.type, data: command.data, to: command.to ?? null },
      });
    });
    emit('SagaCompensated', {});
  };

  /**
   * Step `name` failed: compensate it too when its action may still have taken effect (`includeSelf`),
   * then its parallel siblings still out (their commands may take effect too), then the steps that
   * succeeded, in reverse.
   */
  const fail = (name: string, reason: string, includeSelf: boolean) => {
    const inFlight = current.lanes.filter((lane) => lane.phase === 'action' && lane.step !== name).map((lane) => lane.step);
    const candidates = [...(includeSelf ? [name] : []), ...inFlight, ...[...current.succeeded].reverse()];
    emit('SagaStepFailed', { step: name, reason, compensate: candidates.filter((n) => step(n).compensation !== undefined) });
    compensateNext();
  };

  /** A failed attempt: retry while the budget lasts; then compensate (action) or ask for help (compensation). */
  const failedAttempt = (lane: SagaLane, reason: string, timedOut: boolean) => {
    const s = step(lane.step);
    const policy: RetryPolicyOptions = lane.phase === 'action' ? actionRetry(s) : compensationRetry(s);
    const retry = createRetryPolicy(policy, { random: context.random });
    if (lane.tries < retry.maxAttempts) {
      emit('SagaRetryScheduled', { step: lane.step, phase: lane.phase, attempt: lane.attempt, reason });
      return schedule('retry', lane.step, lane.phase, lane.attempt, retry.delayAfter(lane.tries));
    }
    if (lane.phase === 'action') return fail(lane.step, reason, timedOut);
    emit('SagaAttentionRequested', { saga, sagaId: sagaId(), step: lane.step, phase: lane.phase, reason, attempts: lane.tries });
  };

  /** What a step phase does with a reply of this type (undefined: it does not wait for it). */
  const handlerFor = (name: string, phase: 'action' | 'compensation', type: string) => {
    const s = step(name);
    const replies = (phase === 'action' ? s.replies : s.compensation?.replies) as Record<string, ReplyHandler<JsonObject, SagaInputEvent>> | undefined;
    return replies?.[type];
  };

  const verdictOf = (handler: ReplyHandler<JsonObject, SagaInputEvent>, event: SagaInputEvent): ReplyVerdict<JsonObject> => {
    const raw = typeof handler === 'function' ? handler(event, current.data) : handler;
    return typeof raw === 'string' ? { outcome: raw } : raw;
  };

  /** The step in progress that waits for this reply type (the first, when parallel steps share it), and its handler. */
  const answered = (type: string): { lane: SagaLane; handler: ReplyHandler<JsonObject, SagaInputEvent> } | undefined => {
    for (const lane of current.lanes) {
      const handler = handlerFor(lane.step, lane.phase, type);
      if (handler !== undefined) return { lane, handler };
    }
    return undefined;
  };

  /**
   * While compensating, a reply that confirms a compensation still waiting its turn settles it now: a
   * parallel step that was out when the saga failed may answer that it did nothing (stock rejected,
   * payment declined) before its compensation starts, and no later reply would say so again.
   */
  const settleAhead = (event: SagaInputEvent) => {
    if (current.status !== 'Compensating') return;
    for (const name of current.compensations) {
      if (current.lanes.some((lane) => lane.step === name)) continue;
      const handler = handlerFor(name, 'compensation', event.type);
      if (handler === undefined || verdictOf(handler, event).outcome !== 'ok') continue;
      emit('SagaCompensationSucceeded', { step: name, replyType: event.type });
      return;
    }
  };

  switch (input.kind) {
    case 'start': {
      if (current.status !== 'New') return [];
      const start = (definition.startedBy as Record<string, ((e: SagaInputEvent) => { sagaId: string; data: JsonObject } | undefined) | undefined>)[
        input.event.type
      ];
      const started = start?.(input.event);
      if (started === undefined) return [];
      emit('SagaStarted', { saga, sagaId: started.sagaId, data: started.data });
      startStage(0);
      return out;
    }
    case 'reply': {
      // A saga waiting for a human still takes a late success for the step it is stuck on.
      if (current.status !== 'Running' && current.status !== 'Compensating' && current.status !== 'NeedsAttention') return [];
      const found = answered(input.event.type);
      if (found === undefined) {
        settleAhead(input.event);
        return out;
      }
      const { lane, handler } = found;
      const verdict = verdictOf(handler, input.event);
      if (current.status === 'NeedsAttention' && verdict.outcome !== 'ok') return [];
      const reason = verdict.reason ?? input.event.type;
      if (lane.phase === 'action') {
        if (verdict.outcome === 'ok') {
          // The data only when the reply changed it: every entry would otherwise repeat the whole of it.
          emit('SagaStepSucceeded', {
            step: lane.step,
            replyType: input.event.type,
            ...(verdict.data !== undefined ? { data: verdict.data } : {}),
          });
          advance(lane.step);
        } else if (verdict.outcome === 'fail') fail(lane.step, reason, verdict.compensateStep === true);
        // A transient failure counts only against the attempt still out, not one already timed out and rescheduled.
        else if (lane.awaiting) failedAttempt(lane, reason, false);
      } else if (verdict.outcome === 'ok') {
        emit('SagaCompensationSucceeded', { step: lane.step, replyType: input.event.type });
        compensateNext();
      } else if (lane.awaiting) failedAttempt(lane, reason, false);
      return out;
    }
    case 'timer': {
      if (current.status !== 'Running' && current.status !== 'Compensating') return []; // a late timer for a finished saga
      const expired = current.lanes.find((lane) => lane.awaiting && lane.timeoutTimerId === input.id);
      const retrying = current.lanes.find((lane) => lane.retryTimerId === input.id);
      if (expired !== undefined) {
        emit('SagaStepExpired', { step: expired.step, phase: expired.phase, attempt: expired.attempt });
        failedAttempt(expired, `${expired.phase === 'action' ? 'step' : 'compensation'} "${expired.step}" timed out`, true);
      } else if (retrying !== undefined) {
        issue(retrying.step, retrying.phase, retrying.attempt + 1);
      }
      return out;
    }
    case 'retry': {
      if (current.status !== 'NeedsAttention') throw new SagaStateError(saga, sagaId() ?? '', current.status, 'retry');
      emit('SagaManuallyRetried', { note: input.note ?? '' });
      issue(current.step as string, current.phase, current.attempt + 1);
      return out;
    }
    case 'resolve': {
      if (current.status !== 'NeedsAttention') throw new SagaStateError(saga, sagaId() ?? '', current.status, 'resolve');
      emit('SagaManuallyResolved', { resolution: input.resolution, note: input.note ?? '' });
      return out;
    }
  }
}
