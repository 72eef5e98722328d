import type { GlobalPosition } from '../envelope.js';
import { EventfoldError } from '../errors.js';

/** A read-your-writes wait ran out: the projection had not reached the position in time. Retryable. */
export class ProjectionTimeoutError extends EventfoldError {
  override readonly name = 'ProjectionTimeoutError';
  constructor(projection: string, position: GlobalPosition, reached: GlobalPosition | undefined, timeoutMs: number) {
    super(
      'EVENTFOLD_PROJECTION_TIMEOUT',
      `Projection "${projection}" did not reach position ${position} within ${timeoutMs} ms (it is at ${reached ?? 'none'}). Check that its runner is running and not failing, or raise timeoutMs.`,
      { retryable: true, context: { projection, position: position.toString(), reached: reached?.toString() ?? null, timeoutMs } },
    );
  }
}
