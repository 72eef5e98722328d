import { EventfoldError } from '../errors.js';

/**
 * A business rule refused a command (insufficient funds, account closed). Not retryable: the same
 * command in the same state is refused again. `reason` is a stable, machine-readable word.
 */
export class CommandRejectedError extends EventfoldError {
  override readonly name = 'CommandRejectedError';
  readonly reason: string;
  constructor(reason: string, message: string, context: Record<string, unknown> = {}) {
    super('EVENTFOLD_COMMAND_REJECTED', message, { context: { reason, ...context } });
    this.reason = reason;
  }
}
