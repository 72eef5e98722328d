/**
 * A saga instance's state, folded from its log. `evolveSaga` is pure and needs no definition:
 * everything it needs (which steps to compensate, in which order) is written in the events.
 */
import type { JsonObject } from '../envelope.js';
import type { CausedSagaLogEvent, SagaAttentionRequestedData, SagaPhase, SagaStatus } from './sagaLog.js';

export interface SagaState {
  readonly status: SagaStatus;
  readonly sagaId: string | undefined;
  /**
   * The id of the input that started this instance. Ids the saga derives (commands, timers, log
   * events) take its time prefix when it is a UUID v7, so they sort together (`deterministicIdAfter`).
   */
  readonly anchor: string | undefined;
  readonly data: JsonObject;
  /** The step in progress: its action while Running, its compensation while Compensating. */
  readonly step: string | undefined;
  readonly phase: Exclude<SagaPhase, 'completion'>;
  /** Attempt number of the current step phase (keeps growing across operator retries, so ids stay unique). */
  readonly attempt: number;
  /** Attempts used from the current retry budget (an operator retry starts a new budget). */
  readonly tries: number;
  /** A command of the current attempt is out and its reply is awaited. */
  readonly awaiting: boolean;
  readonly timeoutTimerId: string | undefined;
  readonly retryTimerId: string | undefined;
  /** Steps whose action succeeded, in order. */
  readonly succeeded: readonly string[];
  /** Steps still to compensate, next first. */
  readonly compensations: readonly string[];
  /** Ids of the inputs (replies, timers, requests) already handled: a redelivery changes nothing. */
  readonly handled: readonly string[];
  readonly failure: string | undefined;
  readonly attention: SagaAttentionRequestedData | undefined;
  /** Events in the log. */
  readonly version: number;
}

export const initialSagaState: SagaState = Object.freeze({
  status: 'New',
  sagaId: undefined,
  anchor: undefined,
  data: {},
  step: undefined,
  phase: 'action',
  attempt: 0,
  tries: 0,
  awaiting: false,
  timeoutTimerId: undefined,
  retryTimerId: undefined,
  succeeded: [],
  compensations: [],
  handled: [],
  failure: undefined,
  attention: undefined,
  version: 0,
}) as SagaState;

export function evolveSaga(state: SagaState, event: CausedSagaLogEvent): SagaState {
  const next = { ...state, version: state.version + 1 };
  if (event.causationId !== undefined && !state.handled.includes(event.causationId)) next.handled = [...state.handled, event.causationId];
  const settle = { awaiting: false, timeoutTimerId: undefined, retryTimerId: undefined };
  switch (event.type) {
    case 'SagaStarted':
      return { ...next, status: 'Running', sagaId: event.data.sagaId, anchor: event.causationId, data: event.data.data };
    case 'SagaCommandIssued': {
      const { phase, step, attempt } = event.data;
      if (phase === 'completion') return next;
      const same = step === state.step && phase === state.phase;
      return { ...next, ...settle, step, phase, attempt, tries: same ? state.tries + 1 : 1, awaiting: true, timeoutTimerId: event.data.timeout?.timerId };
    }
    case 'SagaTimerScheduled':
      return event.data.purpose === 'timeout' ? { ...next, timeoutTimerId: event.data.timerId } : { ...next, retryTimerId: event.data.timerId };
    case 'SagaStepSucceeded':
      return {
        ...next,
        ...settle,
        status: 'Running',
        attention: undefined,
        data: event.data.data ?? state.data,
        succeeded: [...state.succeeded, event.data.step],
      };
    case 'SagaStepFailed':
      return { ...next, ...settle, status: 'Compensating', failure: event.data.reason, compensations: event.data.compensate };
    case 'SagaRetryScheduled':
    case 'SagaStepExpired':
      return { ...next, ...settle };
    case 'SagaCompensationSucceeded':
      return { ...next, ...settle, status: 'Compensating', attention: undefined, compensations: state.compensations.filter((s) => s !== event.data.step) };
    case 'SagaCompleted':
      return { ...next, ...settle, status: 'Completed' };
    case 'SagaCompensated':
      return { ...next, ...settle, status: 'Compensated' };
    case 'SagaAttentionRequested':
      return { ...next, ...settle, status: 'NeedsAttention', attention: event.data };
    case 'SagaManuallyRetried':
      return { ...next, status: state.phase === 'action' ? 'Running' : 'Compensating', tries: 0, attention: undefined };
    case 'SagaManuallyResolved':
      return { ...next, ...settle, status: event.data.resolution, attention: undefined };
  }
}

export function foldSaga(events: Iterable<CausedSagaLogEvent>, state: SagaState = initialSagaState): SagaState {
  let current = state;
  for (const event of events) current = evolveSaga(current, event);
  return current;
}
