/** Typed failures of the command, query and event buses; each message says how to fix it. */
import { EventfoldError } from '../errors.js';

export class NoHandlerError extends EventfoldError {
  override readonly name = 'NoHandlerError';
  constructor(bus: 'command' | 'query', type: string) {
    super(
      'EVENTFOLD_NO_HANDLER',
      `No ${bus} handler is registered for "${type}". Register one with ${bus}Bus.register('${type}', handler) before dispatching.`,
      {
        context: { bus, type },
      },
    );
  }
}

export class DuplicateHandlerError extends EventfoldError {
  override readonly name = 'DuplicateHandlerError';
  constructor(bus: 'command' | 'query', type: string) {
    super(
      'EVENTFOLD_DUPLICATE_HANDLER',
      `A ${bus} handler for "${type}" is already registered; a ${bus} has exactly one handler. Remove one, or unregister the first before registering another.`,
      { context: { bus, type } },
    );
  }
}

export interface ValidationIssue {
  /** Dotted path of the failing field, e.g. `data.amount` or `data.lines[0].qty`; '' for the whole message. */
  path: string;
  message: string;
}

/** A message failed its schema; nothing was handled. `path` names the first failing field. */
export class ValidationError extends EventfoldError {
  override readonly name = 'ValidationError';
  readonly path: string;
  readonly issues: readonly ValidationIssue[];
  constructor(type: string, issues: readonly ValidationIssue[]) {
    const first = issues[0] ?? { path: '', message: 'invalid' };
    super(
      'EVENTFOLD_VALIDATION',
      `${type} is invalid at ${first.path || '(root)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more issue(s))` : ''}. Fix the field and send it again.`,
      { context: { type, path: first.path, issues } },
    );
    this.path = first.path;
    this.issues = issues;
  }
}
