/**
 * The saga log: every saga instance keeps its whole history in a stream of its own. These are the
 * events of that stream. The commands a saga sends are events here too (`SagaCommandIssued`), so
 * the relay delivers them from the log — the saga never writes to a broker and a store at once.
 */
import type { JsonObject, JsonValue } from '../envelope.js';

/** A command a saga sends: its type, its data and the service (`to`) it is for. */
export interface SagaCommand {
  readonly type: string;
  readonly data: JsonValue;
  /** Logical destination, e.g. `payments`; `sagaCommandRoute` maps it to a binding. */
  readonly to?: string;
}

export type SagaPhase = 'action' | 'compensation' | 'completion';

export type SagaStatus = 'New' | 'Running' | 'Compensating' | 'Completed' | 'Compensated' | 'NeedsAttention';

/** The statuses a saga never leaves on its own. */
export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = ['Completed', 'Compensated'];

export interface SagaStartedData {
  saga: string;
  sagaId: string;
  data: JsonObject;
}

export interface SagaCommandIssuedData {
  saga: string;
  sagaId: string;
  /** Unique per attempt: the message id consumers dedupe on. */
  commandId: string;
  /** Same for every attempt of one step phase: receivers may dedupe retries on it. */
  idempotencyKey: string;
  step: string;
  phase: SagaPhase;
  attempt: number;
  command: { type: string; data: JsonValue; to: string | null };
  /**
   * The step's timeout, when it has one: the durable timer that fires if no reply comes first. Kept
   * on the command rather than in a `SagaTimerScheduled` entry of its own (logs written before that
   * have one, and still fold the same).
   */
  timeout?: { timerId: string; dueAt: string };
}

/** A retry's timer (and, in logs written before timeouts moved onto `SagaCommandIssued`, a timeout's). */
export interface SagaTimerScheduledData {
  saga: string;
  sagaId: string;
  timerId: string;
  /** ISO-8601 instant. */
  dueAt: string;
  purpose: 'timeout' | 'retry';
  step: string;
  phase: SagaPhase;
  attempt: number;
}

export interface SagaStepSucceededData {
  step: string;
  replyType: string;
  /** The saga's data after the step, when the reply changed it (absent: unchanged). */
  data?: JsonObject;
}

export interface SagaStepFailedData {
  step: string;
  reason: string;
  /** Steps to compensate, in order: the succeeded ones in reverse, led by the failed step itself when its action may have had an effect (a timeout). */
  compensate: string[];
}

export interface SagaRetryScheduledData {
  step: string;
  phase: SagaPhase;
  attempt: number;
  reason: string;
}

export interface SagaStepExpiredData {
  step: string;
  phase: SagaPhase;
  attempt: number;
}

export interface SagaCompensationSucceededData {
  step: string;
  replyType: string | null;
}

export interface SagaAttentionRequestedData {
  saga: string;
  sagaId: string;
  step: string;
  phase: SagaPhase;
  reason: string;
  attempts: number;
}

export interface SagaManuallyRetriedData {
  note: string;
}

export interface SagaManuallyResolvedData {
  resolution: 'Completed' | 'Compensated';
  note: string;
}

/** Every event of a saga log, by type. */
export interface SagaLogEventMap {
  SagaStarted: SagaStartedData;
  SagaCommandIssued: SagaCommandIssuedData;
  SagaTimerScheduled: SagaTimerScheduledData;
  SagaStepSucceeded: SagaStepSucceededData;
  SagaStepFailed: SagaStepFailedData;
  SagaRetryScheduled: SagaRetryScheduledData;
  SagaStepExpired: SagaStepExpiredData;
  SagaCompensationSucceeded: SagaCompensationSucceededData;
  SagaCompleted: Record<string, never>;
  SagaCompensated: Record<string, never>;
  SagaAttentionRequested: SagaAttentionRequestedData;
  SagaManuallyRetried: SagaManuallyRetriedData;
  SagaManuallyResolved: SagaManuallyResolvedData;
}

export type SagaLogEventType = keyof SagaLogEventMap;

export type SagaLogEvent = { [K in SagaLogEventType]: { readonly type: K; readonly data: SagaLogEventMap[K] } }[SagaLogEventType];

/** A saga log event with the id of the input that caused it (a reply, a timer, an operator request). */
export type CausedSagaLogEvent = SagaLogEvent & { readonly causationId?: string | undefined };

export const SAGA_LOG_EVENT_TYPES: readonly SagaLogEventType[] = [
  'SagaStarted',
  'SagaCommandIssued',
  'SagaTimerScheduled',
  'SagaStepSucceeded',
  'SagaStepFailed',
  'SagaRetryScheduled',
  'SagaStepExpired',
  'SagaCompensationSucceeded',
  'SagaCompleted',
  'SagaCompensated',
  'SagaAttentionRequested',
  'SagaManuallyRetried',
  'SagaManuallyResolved',
];

const logTypes = new Set<string>(SAGA_LOG_EVENT_TYPES);

export function isSagaLogEvent(event: { type: string }): event is SagaLogEvent {
  return logTypes.has(event.type);
}

/** The saga log stream of one instance: `saga-<SagaName>-<sagaId>`. */
export function sagaStreamId(sagaName: string, sagaId: string): string {
  return `${sagaStreamPrefix(sagaName)}${sagaId}`;
}

export function sagaStreamPrefix(sagaName: string): string {
  return `saga-${sagaName}-`;
}
