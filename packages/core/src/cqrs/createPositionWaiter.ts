/**
 * Read-your-writes for the query bus: wait until a named projection's checkpoint reaches a
 * position. Runners in this process answer at once when their batch commits; projections run by
 * other processes are polled through their checkpoint.
 */
import type { GlobalPosition } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { ProjectionRunner } from './createProjectionRunner.js';
import type { WaitForPosition } from './createQueryBus.js';
import { ProjectionTimeoutError } from './projectionTimeoutError.js';

export interface PositionWaiterOptions {
  /** Runners in this process, found by projection name. */
  runners?: readonly ProjectionRunner[];
  /** Reads a checkpoint for projections run elsewhere (e.g. `store.checkpoints.load`). */
  loadCheckpoint?: (name: string) => Promise<GlobalPosition | undefined>;
  /** Poll interval for `loadCheckpoint`, in ms. Default 20. */
  pollIntervalMs?: number;
}

/**
 * @example
 * const queries = createQueryBus({ waitForPosition: createPositionWaiter({ runners: [balancesRunner] }) });
 */
export function createPositionWaiter(options: PositionWaiterOptions): WaitForPosition {
  const runners = new Map((options.runners ?? []).map((r) => [r.name, r]));
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  return async (name, position, { timeoutMs, signal }) => {
    const runner = runners.get(name);
    if (runner) return runner.waitForPosition(position, { timeoutMs, ...(signal ? { signal } : {}) });
    const load = options.loadCheckpoint;
    if (!load) throw new InvalidInputError('projection', `no runner named "${name}" in this process and no loadCheckpoint to poll; pass one of them.`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reached = await load(name);
      if (reached !== undefined && reached >= position) return;
      if (Date.now() >= deadline || signal?.aborted) throw new ProjectionTimeoutError(name, position, reached, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, Math.max(1, deadline - Date.now()))));
    }
  };
}
