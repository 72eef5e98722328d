/**
 * A saga instance's state, folded from its log. `evolveSaga` is pure and needs no definition:
 * everything it needs (which steps to compensate, in which order) is written in the events.
 */
import type { JsonObject } from '../envelope.js';
import type { CausedSagaLogEvent, SagaAttentionRequestedData, SagaPhase, SagaStatus } from './sagaLog.js';

/** A step in progress: its action while Running, its compensation while Compensating. */
export interface SagaLane {
  readonly step: string;
  readonly phase: Exclude<SagaPhase, 'completion'>;
  /** Attempt number of this step phase (keeps growing across operator retries, so ids stay unique). */
  readonly attempt: number;
  /** Attempts used from the current retry budget (an operator retry starts a new budget). */
  readonly tries: number;
  /** A command of the current attempt is out and its reply is awaited. */
  readonly awaiting: boolean;
  readonly timeoutTimerId: string | undefined;
  readonly retryTimerId: string | undefined;
}

/**
 * Besides `lanes`, the fields of one lane (`step` … `retryTimerId`) mirror the first step in progress
 * (`lanes[0]`), or the last one once none is (then settled: not awaiting, no timers). Read `lanes` when
 * the saga has parallel steps.
 */
export interface SagaState extends Omit<SagaLane, 'step'> {
  readonly status: SagaStatus;
  readonly sagaId: string | undefined;
  /**
   * The id of the input that started this instance. Ids the saga derives (commands, timers, log
   * events) take its time prefix when it is a UUID v7, so they sort together (`deterministicIdAfter`).
   */
  readonly anchor: string | undefined;
  readonly data: JsonObject;
  /**
   * The steps in progress, in the order they were issued: several while a parallel group runs, one
   * otherwise (a compensation, or a single step), none once the saga ended or between steps.
   */
  readonly lanes: readonly SagaLane[];
  /** The first step in progress, or the last one (undefined before the first). */
  readonly step: string | undefined;
  /** Steps whose action succeeded, in order. */
  readonly succeeded: readonly string[];
  /** Steps still to compensate, next first. */
  readonly compensations: readonly string[];
  /** Ids of the inputs (replies, timers, requests) already handled: a redelivery changes nothing. */
  readonly handled: readonly string[];
  readonly failure: string | undefined;
  /** The step whose failure made the saga compensate. */
  readonly failedStep: string | undefined;
  readonly attention: SagaAttentionRequestedData | undefined;
  /** Events in the log. */
  readonly version: number;
}

export const initialSagaState: SagaState = Object.freeze({
  status: 'New',
  sagaId: undefined,
  anchor: undefined,
  data: {},
  lanes: [],
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
  failedStep: undefined,
  attention: undefined,
  version: 0,
}) as SagaState;

const idle = { awaiting: false, timeoutTimerId: undefined, retryTimerId: undefined } as const;

/** The state with these lanes; the single-step fields mirror the first (or, with none, keep the last step, settled). */
function withLanes(state: SagaState, lanes: readonly SagaLane[]): SagaState {
  const first = lanes[0];
  if (first === undefined) return { ...state, lanes, ...idle };
  return { ...state, lanes, ...first };
}

const updateLane = (lanes: readonly SagaLane[], step: string, change: (lane: SagaLane) => SagaLane): SagaLane[] =>
  lanes.map((lane) => (lane.step === step ? change(lane) : lane));

export function evolveSaga(state: SagaState, event: CausedSagaLogEvent): SagaState {
  const next = { ...state, version: state.version + 1 };
  if (event.causationId !== undefined && !state.handled.includes(event.causationId)) next.handled = [...state.handled, event.causationId];
  const settleLane = (step: string) =>
    withLanes(
      next,
      updateLane(state.lanes, step, (lane) => ({ ...lane, ...idle })),
    );
  const dropLane = (step: string) =>
    withLanes(
      next,
      state.lanes.filter((lane) => lane.step !== step),
    );
  switch (event.type) {
    case 'SagaStarted':
      return { ...next, status: 'Running', sagaId: event.data.sagaId, anchor: event.causationId, data: event.data.data };
    case 'SagaCommandIssued': {
      const { phase, step, attempt } = event.data;
      if (phase === 'completion') return next;
      const same = state.lanes.find((lane) => lane.step === step && lane.phase === phase);
      const lane: SagaLane = {
        step,
        phase,
        attempt,
        tries: same ? same.tries + 1 : 1,
        awaiting: true,
        timeoutTimerId: event.data.timeout?.timerId,
        retryTimerId: undefined,
      };
      return withLanes(next, same ? updateLane(state.lanes, step, () => lane) : [...state.lanes, lane]);
    }
    case 'SagaTimerScheduled': {
      const { step, purpose, timerId } = event.data;
      return withLanes(
        next,
        updateLane(state.lanes, step, (lane) => (purpose === 'timeout' ? { ...lane, timeoutTimerId: timerId } : { ...lane, retryTimerId: timerId })),
      );
    }
    case 'SagaStepSucceeded':
      return {
        ...dropLane(event.data.step),
        status: 'Running',
        attention: undefined,
        data: event.data.data ?? state.data,
        succeeded: [...state.succeeded, event.data.step],
      };
    case 'SagaStepFailed':
      return { ...withLanes(next, []), status: 'Compensating', failure: event.data.reason, failedStep: event.data.step, compensations: event.data.compensate };
    case 'SagaRetryScheduled':
    case 'SagaStepExpired':
      return settleLane(event.data.step);
    case 'SagaCompensationSucceeded':
      return {
        ...dropLane(event.data.step),
        status: 'Compensating',
        attention: undefined,
        compensations: state.compensations.filter((s) => s !== event.data.step),
      };
    case 'SagaCompleted':
      return { ...withLanes(next, []), status: 'Completed' };
    case 'SagaCompensated':
      return { ...withLanes(next, []), status: 'Compensated' };
    case 'SagaAttentionRequested':
      return { ...settleLane(event.data.step), status: 'NeedsAttention', attention: event.data };
    case 'SagaManuallyRetried': {
      // The step waiting for a human is the one the attention request named.
      const stuck = state.attention?.step ?? state.step;
      const lanes = updateLane(state.lanes, stuck ?? '', (lane) => ({ ...lane, tries: 0 }));
      return { ...withLanes(next, lanes), status: state.phase === 'action' ? 'Running' : 'Compensating', attention: undefined };
    }
    case 'SagaManuallyResolved':
      return { ...withLanes(next, []), status: event.data.resolution, attention: undefined };
  }
}

export function foldSaga(events: Iterable<CausedSagaLogEvent>, state: SagaState = initialSagaState): SagaState {
  let current = state;
  for (const event of events) current = evolveSaga(current, event);
  return current;
}
