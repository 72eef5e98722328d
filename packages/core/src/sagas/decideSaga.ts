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
import { evolveSaga, type SagaState } from './sagaState.js';

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

  const advance = () => {
    const next = definition.steps[definition.stepIndex(current.step as string) + 1] as AnyStep | undefined;
    if (next !== undefined) return issue(next.name, 'action', 1);
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
    const finals = definition.onCompensated?.(current.data as never, { sagaId: sagaId(), reason: current.failure ?? '' }) ?? [];
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

  const fail = (reason: string, includeCurrent: boolean) => {
    const name = current.step as string;
    const done = [...current.succeeded].reverse();
    const candidates = includeCurrent ? [name, ...done] : done;
    emit('SagaStepFailed', { step: name, reason, compensate: candidates.filter((n) => step(n).compensation !== undefined) });
    compensateNext();
  };

  /** A failed attempt: retry while the budget lasts; then compensate (action) or ask for help (compensation). */
  const failedAttempt = (reason: string, timedOut: boolean) => {
    const s = step(current.step as string);
    const policy: RetryPolicyOptions = current.phase === 'action' ? actionRetry(s) : compensationRetry(s);
    const retry = createRetryPolicy(policy, { random: context.random });
    if (current.tries < retry.maxAttempts) {
      emit('SagaRetryScheduled', { step: current.step as string, phase: current.phase, attempt: current.attempt, reason });
      return schedule('retry', current.step as string, current.phase, current.attempt, retry.delayAfter(current.tries));
    }
    if (current.phase === 'action') return fail(reason, timedOut);
    emit('SagaAttentionRequested', { saga, sagaId: sagaId(), step: current.step as string, phase: current.phase, reason, attempts: current.tries });
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
      issue((definition.steps[0] as AnyStep).name, 'action', 1);
      return out;
    }
    case 'reply': {
      // A saga waiting for a human still takes a late success for the step it is stuck on.
      if (current.status !== 'Running' && current.status !== 'Compensating' && current.status !== 'NeedsAttention') return [];
      const s = step(current.step as string);
      const replies = (current.phase === 'action' ? s.replies : s.compensation?.replies) as
        | Record<string, ReplyHandler<JsonObject, SagaInputEvent>>
        | undefined;
      const handler = replies?.[input.event.type];
      if (handler === undefined) return [];
      const raw = typeof handler === 'function' ? handler(input.event, current.data) : handler;
      const verdict: ReplyVerdict<JsonObject> = typeof raw === 'string' ? { outcome: raw } : raw;
      if (current.status === 'NeedsAttention' && verdict.outcome !== 'ok') return [];
      const reason = verdict.reason ?? input.event.type;
      if (current.phase === 'action') {
        if (verdict.outcome === 'ok') {
          // The data only when the reply changed it: every entry would otherwise repeat the whole of it.
          emit('SagaStepSucceeded', {
            step: current.step as string,
            replyType: input.event.type,
            ...(verdict.data !== undefined ? { data: verdict.data } : {}),
          });
          advance();
        } else if (verdict.outcome === 'fail') fail(reason, verdict.compensateStep === true);
        // A transient failure counts only against the attempt still out, not one already timed out and rescheduled.
        else if (current.awaiting) failedAttempt(reason, false);
      } else if (verdict.outcome === 'ok') {
        emit('SagaCompensationSucceeded', { step: current.step as string, replyType: input.event.type });
        compensateNext();
      } else if (current.awaiting) failedAttempt(reason, false);
      return out;
    }
    case 'timer': {
      if (current.status !== 'Running' && current.status !== 'Compensating') return []; // a late timer for a finished saga
      if (input.id === current.timeoutTimerId && current.awaiting) {
        emit('SagaStepExpired', { step: current.step as string, phase: current.phase, attempt: current.attempt });
        failedAttempt(`${current.phase === 'action' ? 'step' : 'compensation'} "${current.step}" timed out`, true);
      } else if (input.id === current.retryTimerId) {
        issue(current.step as string, current.phase, current.attempt + 1);
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
