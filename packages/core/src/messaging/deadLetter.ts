/**
 * The dead-letter record format shared by all binders, and the DLQ API they implement.
 *
 * Wire format: a dead letter is the original message — same id, type, schema version, key, content
 * type, original headers and a byte-equal body — plus these headers:
 *   eventfold-dlq-reason       the error message (at most 1,000 characters)
 *   eventfold-dlq-error-code   EventfoldError code, when there was one
 *   eventfold-dlq-attempts     attempts made, decimal
 *   eventfold-dlq-origin       the destination it was consumed from
 *   eventfold-dlq-group        the consumer group that gave up on it
 *   eventfold-dlq-at           ISO-8601 instant it was dead-lettered
 */
import type { Binding } from './bindings.js';
import { MESSAGE_HEADERS, type OutgoingMessage } from './message.js';

/** One dead letter as the DLQ API returns it. */
export interface DeadLetter {
  /** Handle for inspect/replay/purge, assigned by the binder (Kafka offset, RabbitMQ sequence, …). Opaque. */
  readonly deadLetterId: string;
  /** The original message, without the dead-letter headers; `body` byte-equal to what was published. */
  readonly message: OutgoingMessage;
  readonly reason: string;
  readonly errorCode: string | undefined;
  readonly attempts: number;
  /** Destination the message was consumed from; replay publishes back to it. */
  readonly origin: string;
  readonly group: string | undefined;
  readonly deadLetteredAt: Date;
}

export interface DeadLetterInfo {
  error: unknown;
  attempts: number;
  origin: string;
  group: string | undefined;
  at: Date;
}

export interface ListDeadLettersOptions {
  /** At most this many, oldest first. Default 100. */
  limit?: number;
}

/**
 * The dead-letter queue of a consumer binding (its destination and group). Each binder implements it
 * over its own storage (`<topic>.dlq`, `<queue>.dlq`, a list in memory).
 */
export interface DeadLetterQueue {
  /** Dead letters of the binding's group, oldest first. Does not remove them. */
  list(binding: Binding, options?: ListDeadLettersOptions): Promise<DeadLetter[]>;
  /** One dead letter, or undefined when there is none with that id. */
  inspect(binding: Binding, deadLetterId: string): Promise<DeadLetter | undefined>;
  /**
   * Publishes the original message (dead-letter headers stripped, same id) to its origin destination
   * and removes the dead letter. Resolves with how many were replayed; an id already replayed or
   * purged counts 0. Replaying twice is safe: consumers dedupe on the message id (inbox).
   */
  replay(binding: Binding, deadLetterIds?: readonly string[]): Promise<number>;
  /** Removes dead letters (all when no ids are given). Resolves with how many were removed. */
  purge(binding: Binding, deadLetterIds?: readonly string[]): Promise<number>;
}

const MAX_REASON = 1_000;
const DLQ_HEADERS: readonly string[] = [
  MESSAGE_HEADERS.deadLetterReason,
  MESSAGE_HEADERS.deadLetterErrorCode,
  MESSAGE_HEADERS.deadLetterAttempts,
  MESSAGE_HEADERS.deadLetterOrigin,
  MESSAGE_HEADERS.deadLetterGroup,
  MESSAGE_HEADERS.deadLetterAt,
];

function describeError(error: unknown): { reason: string; code: string | undefined } {
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return { reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason, code };
}

/** The message a binder writes to its dead-letter destination. Body and original headers unchanged. */
export function toDeadLetterMessage(message: OutgoingMessage, info: DeadLetterInfo): OutgoingMessage {
  const { reason, code } = describeError(info.error);
  const headers: Record<string, string> = { ...message.headers };
  headers[MESSAGE_HEADERS.deadLetterReason] = reason;
  if (code !== undefined) headers[MESSAGE_HEADERS.deadLetterErrorCode] = code;
  headers[MESSAGE_HEADERS.deadLetterAttempts] = String(info.attempts);
  headers[MESSAGE_HEADERS.deadLetterOrigin] = info.origin;
  if (info.group !== undefined) headers[MESSAGE_HEADERS.deadLetterGroup] = info.group;
  headers[MESSAGE_HEADERS.deadLetterAt] = info.at.toISOString();
  return { ...copyMessage(message), headers };
}

/** Reads a message written by `toDeadLetterMessage` back into a DeadLetter. */
export function fromDeadLetterMessage(deadLetterId: string, message: OutgoingMessage): DeadLetter {
  const h = message.headers;
  const original: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) if (!DLQ_HEADERS.includes(name)) original[name] = value;
  const attempts = Number.parseInt(h[MESSAGE_HEADERS.deadLetterAttempts] ?? '', 10);
  const at = new Date(h[MESSAGE_HEADERS.deadLetterAt] ?? Number.NaN);
  return {
    deadLetterId,
    message: { ...copyMessage(message), headers: original },
    reason: h[MESSAGE_HEADERS.deadLetterReason] ?? 'unknown',
    errorCode: h[MESSAGE_HEADERS.deadLetterErrorCode],
    attempts: Number.isNaN(attempts) ? 0 : attempts,
    origin: h[MESSAGE_HEADERS.deadLetterOrigin] ?? '',
    group: h[MESSAGE_HEADERS.deadLetterGroup],
    deadLetteredAt: Number.isNaN(at.getTime()) ? new Date(0) : at,
  };
}

/** Strips transport-only fields (destination, attempt) from a delivered message. */
export function copyMessage(message: OutgoingMessage): OutgoingMessage {
  const copy: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: message.id,
    type: message.type,
    schemaVersion: message.schemaVersion,
    key: message.key,
    contentType: message.contentType,
    headers: { ...message.headers },
    body: message.body,
  };
  if (message.priority !== undefined) copy.priority = message.priority;
  return copy;
}
