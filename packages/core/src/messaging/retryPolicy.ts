/**
 * Retry policy of a consumer binding: exponential backoff with a cap and jitter. Every binder uses
 * the same numbers (Kafka retry topics, RabbitMQ TTL delay queues, in-process timers), so the
 * arithmetic lives here once and randomness is injected to keep tests exact.
 */
import { EventfoldError, InvalidInputError } from '../errors.js';

export interface RetryPolicyOptions {
  /** Total attempts including the first; after the last failure the message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Delay before the second attempt, in ms. Default 1,000. */
  initialDelayMs?: number;
  /** Each further delay is the previous one times this. Default 2. */
  multiplier?: number;
  /** Upper bound of a delay before jitter, in ms. Default 60,000. */
  maxDelayMs?: number;
  /** Spread each delay uniformly by ±this fraction (0.2 = ±20%). Default 0.2. */
  jitter?: number;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
  /** Delay in ms to wait after failed attempt `attempt` (1-based) before the next one. */
  delayAfter(attempt: number): number;
  /**
   * Whether a message that failed attempt `attempt` with `error` gets another attempt. No, after the
   * last attempt; no, for an error that says retrying cannot help (an EventfoldError with `retryable:
   * false`, such as an unreadable message): those are dead-lettered at once.
   */
  shouldRetry(attempt: number, error: unknown): boolean;
}

export const DEFAULT_RETRY_POLICY: Required<RetryPolicyOptions> = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 1_000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
});

export interface RetryPolicyDependencies {
  /** Uniform in [0, 1). Default Math.random; pass a seeded source in tests. */
  random?: () => number;
}

function check(path: string, value: number, ok: boolean, rule: string): void {
  if (!Number.isFinite(value) || !ok) throw new InvalidInputError(`retry.${path}`, `${rule} (got ${JSON.stringify(value)}).`);
}

/** True when an error says that trying again cannot succeed. */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof EventfoldError && !error.retryable;
}

/**
 * Builds a policy from binding options, validating them.
 *
 * @example
 * const policy = createRetryPolicy({ maxAttempts: 5, initialDelayMs: 100 }); // 100, 200, 400, 800 ms ±20%
 */
export function createRetryPolicy(options: RetryPolicyOptions = {}, dependencies: RetryPolicyDependencies = {}): RetryPolicy {
  const o = { ...DEFAULT_RETRY_POLICY, ...options };
  check('maxAttempts', o.maxAttempts, Number.isInteger(o.maxAttempts) && o.maxAttempts >= 1, 'must be an integer ≥ 1');
  check('initialDelayMs', o.initialDelayMs, o.initialDelayMs >= 0, 'must be ≥ 0');
  check('multiplier', o.multiplier, o.multiplier >= 1, 'must be ≥ 1');
  check('maxDelayMs', o.maxDelayMs, o.maxDelayMs >= o.initialDelayMs, 'must be ≥ initialDelayMs');
  check('jitter', o.jitter, o.jitter >= 0 && o.jitter < 1, 'must be in [0, 1)');
  const random = dependencies.random ?? Math.random;
  return Object.freeze({
    ...o,
    delayAfter(attempt: number): number {
      const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** Math.max(0, attempt - 1));
      return Math.max(0, Math.round(base * (1 + o.jitter * (2 * random() - 1))));
    },
    shouldRetry(attempt: number, error: unknown): boolean {
      return attempt < o.maxAttempts && !isPermanentFailure(error);
    },
  });
}
