import type { GlobalPosition } from './envelope.js';
import { EventfoldError } from './errors.js';

/** Another runner moved this checkpoint first: stop, reload it and resume from there. */
export class CheckpointConflictError extends EventfoldError {
  override readonly name = 'CheckpointConflictError';
  constructor(name: string, expected: GlobalPosition | null, actual: GlobalPosition | null) {
    super(
      'EVENTFOLD_CHECKPOINT_CONFLICT',
      `Checkpoint "${name}" is at ${actual ?? 'none'}, not ${expected ?? 'none'} as expected: another runner of this subscriber moved it. Run one runner per subscriber, or reload the checkpoint and resume.`,
      { retryable: true, context: { name, expected: expected?.toString() ?? null, actual: actual?.toString() ?? null } },
    );
  }
}
