/**
 * One error base for everything Eventfold throws. `code` is stable and safe to branch on; `retryable`
 * tells the caller whether the same call may succeed later (the retry decision as data).
 */

/** Stable error codes. Add new codes here; never rename or reuse one. */
export type EventfoldErrorCode =
  | 'EVENTFOLD_CONCURRENCY'
  | 'EVENTFOLD_STREAM_NOT_FOUND'
  | 'EVENTFOLD_INVALID_INPUT'
  | 'EVENTFOLD_PAYLOAD_TOO_LARGE'
  | 'EVENTFOLD_DUPLICATE_EVENT'
  | 'EVENTFOLD_CHECKPOINT_CONFLICT'
  | 'EVENTFOLD_STORE_CLOSED'
  | 'EVENTFOLD_STORE_UNAVAILABLE'
  | 'EVENTFOLD_MIGRATION_FAILED'
  | 'EVENTFOLD_TIMEOUT'
  | 'EVENTFOLD_NO_HANDLER'
  | 'EVENTFOLD_DUPLICATE_HANDLER'
  | 'EVENTFOLD_VALIDATION'
  | 'EVENTFOLD_PROJECTION_TIMEOUT'
  | 'EVENTFOLD_COMMAND_REJECTED'
  | 'EVENTFOLD_UPCAST_FAILED'
  | 'EVENTFOLD_UNREADABLE_MESSAGE'
  | 'EVENTFOLD_TRANSPORT_UNAVAILABLE'
  | 'EVENTFOLD_TRANSPORT_CLOSED'
  | 'EVENTFOLD_PUBLISH_REJECTED'
  | 'EVENTFOLD_OVERLOADED'
  | 'EVENTFOLD_SAGA_STATE'
  | 'EVENTFOLD_SAGA_NOT_FOUND';

export interface EventfoldErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Structured facts about the failure; enumerable so loggers print them. Never put secrets here. */
  context?: Record<string, unknown>;
}

export class EventfoldError extends Error {
  override readonly name: string = 'EventfoldError';
  readonly code: EventfoldErrorCode;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: EventfoldErrorCode, message: string, options: EventfoldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, ...this.context };
  }
}

/** The stream was not at the version the caller expected; reload and decide again. */
export class ConcurrencyError extends EventfoldError {
  override readonly name = 'ConcurrencyError';
  readonly streamId: string;
  readonly expectedVersion: unknown;
  readonly actualVersion: number | undefined;

  constructor(streamId: string, expectedVersion: unknown, actualVersion: number | undefined, cause?: unknown) {
    super(
      'EVENTFOLD_CONCURRENCY',
      `Stream "${streamId}" is at version ${actualVersion ?? 'unknown'} but version ${String(
        expectedVersion,
      )} was expected. Reload the stream, decide again and retry the append.`,
      { retryable: true, cause, context: { streamId, expectedVersion, actualVersion } },
    );
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** Input was rejected before anything was written. `path` names the offending field. */
export class InvalidInputError extends EventfoldError {
  override readonly name = 'InvalidInputError';
  readonly path: string;
  constructor(path: string, message: string, context: Record<string, unknown> = {}) {
    super('EVENTFOLD_INVALID_INPUT', `${path}: ${message}`, { context: { path, ...context } });
    this.path = path;
  }
}

export class PayloadTooLargeError extends EventfoldError {
  override readonly name = 'PayloadTooLargeError';
  constructor(path: string, sizeBytes: number, limitBytes: number) {
    super(
      'EVENTFOLD_PAYLOAD_TOO_LARGE',
      `${path} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes. Store large blobs elsewhere and put a reference in the event, or raise maxEventBytes.`,
      { context: { path, sizeBytes, limitBytes } },
    );
  }
}

export class StreamNotFoundError extends EventfoldError {
  override readonly name = 'StreamNotFoundError';
  constructor(streamId: string) {
    super('EVENTFOLD_STREAM_NOT_FOUND', `Stream "${streamId}" does not exist. Check the id, or append with expectedVersion 'no_stream' to create it.`, {
      context: { streamId },
    });
  }
}

export class DuplicateEventError extends EventfoldError {
  override readonly name = 'DuplicateEventError';
  constructor(streamId: string, eventIds: readonly string[]) {
    super(
      'EVENTFOLD_DUPLICATE_EVENT',
      `Some but not all of the events appended to "${streamId}" were already stored (${eventIds.join(', ')}). Retry an append with exactly the same events, or give new events new ids.`,
      { context: { streamId, eventIds } },
    );
  }
}

export function isEventfoldError(error: unknown, code?: EventfoldErrorCode): error is EventfoldError {
  return error instanceof EventfoldError && (code === undefined || error.code === code);
}
