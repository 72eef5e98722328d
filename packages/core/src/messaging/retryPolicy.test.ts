import { describe, expect, it } from 'vitest';
import { EventfoldError, InvalidInputError, isEventfoldError } from '../errors.js';
import { createRetryPolicy, DEFAULT_RETRY_POLICY } from './retryPolicy.js';

describe('createRetryPolicy', () => {
  it('doubles from the initial delay, capped, without jitter', () => {
    const policy = createRetryPolicy({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 500, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((a) => policy.delayAfter(a))).toEqual([100, 200, 400, 500, 500]);
  });

  it('spreads each delay by ±jitter using the injected random source', () => {
    const low = createRetryPolicy({ initialDelayMs: 100, jitter: 0.2 }, { random: () => 0 });
    const high = createRetryPolicy({ initialDelayMs: 100, jitter: 0.2 }, { random: () => 0.999_999 });
    const middle = createRetryPolicy({ initialDelayMs: 100, jitter: 0.2 }, { random: () => 0.5 });
    expect([1, 2, 3, 4].map((a) => low.delayAfter(a))).toEqual([80, 160, 320, 640]);
    expect([1, 2, 3, 4].map((a) => high.delayAfter(a))).toEqual([120, 240, 480, 960]);
    expect([1, 2, 3, 4].map((a) => middle.delayAfter(a))).toEqual([100, 200, 400, 800]);
  });

  it('retries until maxAttempts, and never for an error that says retrying cannot help', () => {
    const policy = createRetryPolicy({ maxAttempts: 5 });
    expect([1, 2, 3, 4, 5].map((a) => policy.shouldRetry(a, new Error('x')))).toEqual([true, true, true, true, false]);
    expect(policy.shouldRetry(1, new InvalidInputError('data', 'bad'))).toBe(false);
    expect(policy.shouldRetry(1, new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', 'down', { retryable: true }))).toBe(true);
  });

  it('uses the documented defaults', () => {
    const policy = createRetryPolicy();
    expect(policy.maxAttempts).toBe(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(policy.initialDelayMs).toBe(1_000);
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts'],
    [{ maxAttempts: 1.5 }, 'retry.maxAttempts'],
    [{ initialDelayMs: -1 }, 'retry.initialDelayMs'],
    [{ multiplier: 0.5 }, 'retry.multiplier'],
    [{ initialDelayMs: 100, maxDelayMs: 50 }, 'retry.maxDelayMs'],
    [{ jitter: 1 }, 'retry.jitter'],
    [{ jitter: Number.NaN }, 'retry.jitter'],
  ])('rejects %j naming %s', (options, path) => {
    try {
      createRetryPolicy(options);
      expect.unreachable('should throw');
    } catch (error) {
      expect(isEventfoldError(error, 'EVENTFOLD_INVALID_INPUT')).toBe(true);
      expect((error as InvalidInputError).path).toBe(path);
    }
  });
});
