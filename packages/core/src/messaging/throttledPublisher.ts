/**
 * Producer-side backpressure over any transport: a token-bucket rate limit and a bounded number of
 * messages in flight (published but not yet confirmed by the broker). When the buffer is full,
 * `publish` waits for room (or rejects with EVENTFOLD_OVERLOADED), so a fast producer slows down
 * instead of growing memory without bound.
 */
import { type Clock, systemClock } from '../clock.js';
import { EventfoldError, InvalidInputError } from '../errors.js';
import type { Binding } from './bindings.js';
import type { OutgoingMessage } from './message.js';
import { type Sleep, systemSleep } from './timers.js';
import type { Transport } from './transport.js';

export interface ThrottledPublisherOptions {
  transport: Pick<Transport, 'publish'>;
  /** Messages per second, sustained. Default: unlimited. */
  ratePerSecond?: number;
  /** Messages that may go at once after an idle period. Default: `ratePerSecond` (one second's worth). */
  burst?: number;
  /** Messages published and not yet confirmed, at most. Default 10,000. */
  maxInFlight?: number;
  /** What `publish` does when the in-flight buffer is full: wait for room (default) or reject at once. */
  whenFull?: 'wait' | 'reject';
  clock?: Clock;
  sleep?: Sleep;
}

export interface ThrottledPublisher {
  publish(binding: Binding, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Messages handed to the transport and not yet confirmed. */
  readonly inFlight: number;
  /** Callers waiting for room in the buffer or for tokens. */
  readonly waiting: number;
}

function positive(path: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new InvalidInputError(path, `must be a positive number (got ${JSON.stringify(value)}).`);
}

/**
 * @example
 * const publisher = createThrottledPublisher({ transport, ratePerSecond: 5_000, maxInFlight: 2_000 });
 * await publisher.publish(bindings.ordersOut, messages); // waits when 2,000 are unconfirmed
 */
export function createThrottledPublisher(options: ThrottledPublisherOptions): ThrottledPublisher {
  positive('ratePerSecond', options.ratePerSecond);
  positive('burst', options.burst);
  positive('maxInFlight', options.maxInFlight);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const rate = options.ratePerSecond;
  const burst = options.burst ?? rate ?? 0;
  const maxInFlight = options.maxInFlight ?? 10_000;
  let tokens = burst;
  let refilledAt = clock.now().getTime();
  let inFlight = 0;
  let waiting = 0;
  const roomWaiters: Array<() => void> = [];
  // Token waits run one after another, so callers are served in arrival order.
  let tokenQueue: Promise<void> = Promise.resolve();

  const takeTokens = (n: number): Promise<void> => {
    if (rate === undefined) return Promise.resolve();
    const turn = tokenQueue.then(async () => {
      const now = clock.now().getTime();
      tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * rate);
      refilledAt = now;
      tokens -= n;
      // Debt is paid by waiting: n tokens beyond what the bucket holds take n / rate seconds.
      if (tokens < 0) await sleep(Math.ceil((-tokens / rate) * 1000));
    });
    tokenQueue = turn;
    return turn;
  };

  const takeRoom = async (n: number): Promise<void> => {
    // A batch larger than the buffer goes alone, when nothing else is in flight.
    while (inFlight > 0 && inFlight + n > maxInFlight) {
      if (options.whenFull === 'reject') {
        throw new EventfoldError(
          'EVENTFOLD_OVERLOADED',
          `${inFlight} messages are waiting for broker confirmation (maxInFlight ${maxInFlight}); slow down and retry, or raise maxInFlight.`,
          { retryable: true, context: { inFlight, maxInFlight } },
        );
      }
      await new Promise<void>((resolve) => roomWaiters.push(resolve));
    }
    inFlight += n;
  };

  const freeRoom = (n: number) => {
    inFlight -= n;
    for (const wake of roomWaiters.splice(0)) wake();
  };

  return {
    async publish(binding, messages) {
      if (messages.length === 0) return;
      waiting += 1;
      try {
        await takeRoom(messages.length);
      } finally {
        waiting -= 1;
      }
      try {
        waiting += 1;
        try {
          await takeTokens(messages.length);
        } finally {
          waiting -= 1;
        }
        await options.transport.publish(binding, messages);
      } finally {
        freeRoom(messages.length);
      }
    },
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return waiting;
    },
  };
}
