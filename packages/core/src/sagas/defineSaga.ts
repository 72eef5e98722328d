/**
 * Declares an orchestrated saga: the events that start it, how a reply finds its instance, and the
 * steps — each an action (a command), the replies that end it, a compensation, a timeout and a retry
 * policy. Steps run one after another; steps grouped with `{ parallel: [a, b] }` run at the same time,
 * and the step after the group starts once all of them succeeded. Pure data and functions; the runner
 * (`createSagaRunner`) does the I/O.
 */
import type { JsonObject } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import { createRetryPolicy, type RetryPolicyOptions } from '../messaging/retryPolicy.js';
import type { SagaCommand } from './sagaLog.js';

/** What a reply means for the step it answers. `retry`: a transient failure, try the step again. */
export type StepOutcome = 'ok' | 'fail' | 'retry';

export interface ReplyVerdict<TData> {
  outcome: StepOutcome;
  /** New saga data (e.g. with the payment id from the reply). Default: unchanged. */
  data?: TData;
  reason?: string;
  /**
   * With `fail`: compensate the step itself too. For a failure that does not come from the step's own
   * service — the order was cancelled while the step's command was out — so its action may still happen.
   */
  compensateStep?: boolean;
}

/** An event a saga reads: a start event or a reply. */
export interface SagaInputEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

export type ReplyHandler<TData, TEvent> = StepOutcome | ((event: TEvent, data: TData) => StepOutcome | ReplyVerdict<TData>);

export type ReplyMap<TData, TEvent extends SagaInputEvent> = { readonly [K in TEvent['type']]?: ReplyHandler<TData, Extract<TEvent, { type: K }>> };

export interface SagaStepContext {
  sagaId: string;
  step: string;
  attempt: number;
}

export interface SagaCompensation<TData, TEvent extends SagaInputEvent> {
  action(data: TData, context: SagaStepContext): SagaCommand;
  /** Replies that confirm the compensation. None: it counts as done once issued (fire and forget). `fail` counts as `retry`. */
  replies?: ReplyMap<TData, TEvent>;
  /** Required when `replies` are given: each attempt's deadline. */
  timeoutMs?: number;
  /** Default `{ maxAttempts: 5, initialDelayMs: 1000 }`. When exhausted the saga needs attention. */
  retry?: RetryPolicyOptions;
}

export interface SagaStep<TData, TEvent extends SagaInputEvent> {
  /** Unique within the saga; appears in the saga log. */
  name: string;
  action(data: TData, context: SagaStepContext): SagaCommand;
  /** Replies that end the step and what each means. Replies for another step or phase are ignored. */
  replies: ReplyMap<TData, TEvent>;
  /** Required. Without a reply by then the attempt has timed out: retried while attempts are left, else the saga compensates (this step included). */
  timeoutMs: number;
  /** Default `{ maxAttempts: 1 }` (no retry). */
  retry?: RetryPolicyOptions;
  compensation?: SagaCompensation<TData, TEvent>;
}

/**
 * Steps that run at the same time: each is issued when the group starts, each has its own timeout and
 * retries, and the saga moves on once every one of them succeeded. When one fails, the others still in
 * flight are compensated too (their commands may still take effect), then the earlier steps in reverse.
 * A reply type that several steps of the group wait for goes to the first of them that is in flight.
 */
export interface SagaParallelSteps<TData, TEvent extends SagaInputEvent> {
  parallel: readonly SagaStep<TData, TEvent>[];
}

export interface SagaDefinitionOptions<TData extends JsonObject, TEvent extends SagaInputEvent> {
  /** PascalCase; names the saga log streams (`saga-<name>-<id>`), the checkpoint and the timers. */
  name: string;
  /** Event types that start an instance, each returning its id and initial data (undefined: not for this saga). */
  startedBy: { readonly [K in TEvent['type']]?: (event: Extract<TEvent, { type: K }>) => { sagaId: string; data: TData } | undefined };
  /** The instance a reply belongs to (undefined: none). */
  associate(event: TEvent): string | undefined;
  /** In order; a `{ parallel: [...] }` group runs its steps at the same time. */
  steps: readonly (SagaStep<TData, TEvent> | SagaParallelSteps<TData, TEvent>)[];
  /** Commands sent once every step succeeded (capture the payment, commit the stock); not awaited. */
  onCompleted?: (data: TData, context: { sagaId: string }) => readonly SagaCommand[];
  /**
   * Commands sent once every compensation is done (tell the originator why it failed); `reason` is the
   * failure's and `step` the step that failed (absent in logs written before it was kept). Not awaited.
   */
  onCompensated?: (data: TData, context: { sagaId: string; reason: string; step?: string }) => readonly SagaCommand[];
}

export interface SagaDefinition<TData extends JsonObject = JsonObject, TEvent extends SagaInputEvent = SagaInputEvent>
  extends Omit<SagaDefinitionOptions<TData, TEvent>, 'steps'> {
  /** Every step, in declaration order (a parallel group's steps in place). */
  readonly steps: readonly SagaStep<TData, TEvent>[];
  /** The steps that start together, stage by stage: one name for a single step, several for a parallel group. */
  readonly stages: readonly (readonly string[])[];
  /** The stage a step belongs to (its index in `stages`). */
  stageOf(name: string): number;
  /** Every event type that starts an instance. */
  readonly startTypes: ReadonlySet<string>;
  /** Every event type some step or compensation waits for. */
  readonly replyTypes: ReadonlySet<string>;
  stepIndex(name: string): number;
}

const DEFAULT_ACTION_RETRY: RetryPolicyOptions = { maxAttempts: 1 };
const DEFAULT_COMPENSATION_RETRY: RetryPolicyOptions = { maxAttempts: 5, initialDelayMs: 1_000 };

export function actionRetry(step: SagaStep<never, never>): RetryPolicyOptions {
  return step.retry ?? DEFAULT_ACTION_RETRY;
}

export function compensationRetry(step: SagaStep<never, never>): RetryPolicyOptions {
  return step.compensation?.retry ?? DEFAULT_COMPENSATION_RETRY;
}

/**
 * @example
 * const fulfilment = defineSaga<OrderData, OrderEvent>({
 *   name: 'OrderFulfilment',
 *   startedBy: { OrderPlaced: (e) => ({ sagaId: e.data.orderId, data: { ...e.data } }) },
 *   associate: (e) => e.data.orderId,
 *   steps: [{ name: 'payment', action: (d) => ({ type: 'ChargePayment', data: d, to: 'payments' }),
 *     replies: { PaymentCharged: 'ok', PaymentDeclined: 'fail' }, timeoutMs: 30_000,
 *     compensation: { action: (d) => ({ type: 'RefundPayment', data: d, to: 'payments' }), replies: { PaymentRefunded: 'ok' } } }],
 * });
 */
export function defineSaga<TData extends JsonObject, TEvent extends SagaInputEvent>(
  options: SagaDefinitionOptions<TData, TEvent>,
): SagaDefinition<TData, TEvent> {
  if (typeof options.name !== 'string' || !/^[A-Z][A-Za-z0-9]{0,99}$/.test(options.name)) {
    throw new InvalidInputError('saga.name', `"${String(options.name)}" must be a PascalCase name such as "OrderFulfilment".`);
  }
  const startTypes = new Set(Object.keys(options.startedBy ?? {}));
  if (startTypes.size === 0)
    throw new InvalidInputError('saga.startedBy', 'must name at least one event type that starts the saga, e.g. { OrderPlaced: (e) => … }.');
  if (typeof options.associate !== 'function') throw new InvalidInputError('saga.associate', 'must be a function returning the saga id a reply belongs to.');
  if (!Array.isArray(options.steps) || options.steps.length === 0) throw new InvalidInputError('saga.steps', 'must list at least one step.');
  const names = new Set<string>();
  const replyTypes = new Set<string>();
  const flat: SagaStep<TData, TEvent>[] = [];
  const stages: string[][] = [];
  const checkStep = (step: SagaStep<TData, TEvent>, path: string) => {
    if (typeof step.name !== 'string' || step.name.length === 0 || step.name.length > 100)
      throw new InvalidInputError(`${path}.name`, 'must be a non-empty name.');
    if (names.has(step.name)) throw new InvalidInputError(`${path}.name`, `"${step.name}" is used by two steps; step names must be unique.`);
    names.add(step.name);
    if (typeof step.action !== 'function') throw new InvalidInputError(`${path}.action`, 'must be a function returning the command to send.');
    const replies = Object.keys(step.replies ?? {});
    if (replies.length === 0) throw new InvalidInputError(`${path}.replies`, 'must name at least one reply event type, e.g. { PaymentCharged: "ok" }.');
    for (const type of replies) replyTypes.add(type);
    for (const type of Object.keys(step.compensation?.replies ?? {})) replyTypes.add(type);
    // A step without a deadline could wait forever for a reply that never comes: sagas must never hang silently.
    requireTimeout(`${path}.timeoutMs`, step.timeoutMs);
    createRetryPolicy(step.retry ?? DEFAULT_ACTION_RETRY);
    if (step.compensation !== undefined) {
      if (typeof step.compensation.action !== 'function')
        throw new InvalidInputError(`${path}.compensation.action`, 'must be a function returning the command to send.');
      if (Object.keys(step.compensation.replies ?? {}).length > 0) requireTimeout(`${path}.compensation.timeoutMs`, step.compensation.timeoutMs);
      else checkTimeout(`${path}.compensation.timeoutMs`, step.compensation.timeoutMs);
      createRetryPolicy(step.compensation.retry ?? DEFAULT_COMPENSATION_RETRY);
    }
    flat.push(step);
  };
  options.steps.forEach((entry, i) => {
    const path = `saga.steps[${i}]`;
    if (isParallel(entry)) {
      const group: readonly unknown[] = Array.isArray(entry.parallel) ? entry.parallel : [];
      if (group.length === 0)
        throw new InvalidInputError(`${path}.parallel`, 'must list the steps that run at the same time, e.g. { parallel: [payment, stock] }.');
      group.forEach((step, j) => {
        if (isParallel(step)) throw new InvalidInputError(`${path}.parallel[${j}]`, 'parallel groups cannot nest; list their steps in one group.');
        checkStep(step as SagaStep<TData, TEvent>, `${path}.parallel[${j}]`);
      });
      stages.push(entry.parallel.map((step) => step.name));
    } else {
      checkStep(entry, path);
      stages.push([entry.name]);
    }
  });
  for (const type of startTypes) {
    if (replyTypes.has(type)) throw new InvalidInputError('saga.startedBy', `"${type}" both starts the saga and answers a step; use different event types.`);
  }
  const index = new Map(flat.map((s, i) => [s.name, i]));
  const stageIndex = new Map(stages.flatMap((names, i) => names.map((name) => [name, i] as const)));
  const unknownStep = (name: string) =>
    new InvalidInputError('step', `saga "${options.name}" has no step "${name}"; the saga log was written by another version of it.`);
  return {
    ...options,
    steps: flat,
    stages,
    startTypes,
    replyTypes,
    stepIndex(name) {
      const i = index.get(name);
      if (i === undefined) throw unknownStep(name);
      return i;
    },
    stageOf(name) {
      const i = stageIndex.get(name);
      if (i === undefined) throw unknownStep(name);
      return i;
    },
  };
}

function isParallel<TData, TEvent extends SagaInputEvent>(entry: unknown): entry is SagaParallelSteps<TData, TEvent> {
  return typeof entry === 'object' && entry !== null && 'parallel' in entry;
}

function requireTimeout(path: string, value: number | undefined): void {
  if (value === undefined) throw new InvalidInputError(path, 'is required: without a deadline the saga could wait forever for a reply that never comes.');
  checkTimeout(path, value);
}

function checkTimeout(path: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0) throw new InvalidInputError(path, `must be a positive number of milliseconds (got ${JSON.stringify(value)}).`);
}
