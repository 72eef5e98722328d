/** Lets callers wait until a monotonically advancing position reaches a value, with a timeout. */
import type { GlobalPosition } from '../../envelope.js';

interface Waiter {
  position: GlobalPosition;
  settle: (reached: boolean) => void;
}

export interface PositionSignal {
  advance(position: GlobalPosition): void;
  reset(): void;
  fail(error: unknown): void;
  /** true once reached; false on timeout or abort; rejects if the source failed. */
  waitFor(position: GlobalPosition, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

export function createPositionSignal(): PositionSignal {
  let current: GlobalPosition | undefined;
  let failure: { error: unknown } | undefined;
  const waiters = new Set<Waiter & { reject: (error: unknown) => void }>();
  return {
    advance(position) {
      current = position;
      failure = undefined;
      for (const w of waiters) if (position >= w.position) w.settle(true);
    },
    reset() {
      current = undefined;
    },
    fail(error) {
      failure = { error };
      for (const w of waiters) w.reject(error);
    },
    waitFor(position, timeoutMs, signal) {
      if (current !== undefined && current >= position) return Promise.resolve(true);
      if (failure) return Promise.reject(failure.error);
      return new Promise<boolean>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
        };
        const waiter = {
          position,
          settle: (reached: boolean) => {
            cleanup();
            resolve(reached);
          },
          reject: (error: unknown) => {
            cleanup();
            reject(error);
          },
        };
        const onAbort = () => waiter.settle(false);
        const timer = setTimeout(() => waiter.settle(false), timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
      });
    },
  };
}
