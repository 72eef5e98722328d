/**
 * What travels through a transport. A message is bytes plus the few facts every binder must carry
 * end to end (id, type, schema version, partition key, content type, headers); a transport never
 * looks inside `body`.
 */
import type { Headers } from '../envelope.js';
import { InvalidInputError } from '../errors.js';

/** A message handed to `Transport.publish`. */
export interface OutgoingMessage {
  /** Unique id (the event id for relayed events). Inboxes dedupe on it, so a redelivery has no second effect. */
  readonly id: string;
  /** Message type, e.g. `OrderPlaced`. */
  readonly type: string;
  /** Version of the type's schema (≥ 1). */
  readonly schemaVersion: number;
  /**
   * Partition key: messages with the same key are delivered in publish order to one consumer at a
   * time (Kafka: the record key; RabbitMQ: kept in a header, order holds per queue). The relay uses the stream id.
   */
  readonly key: string;
  /** MIME type of `body`, e.g. `application/json`. */
  readonly contentType: string;
  /** Free string headers: correlation/causation ids, trace context (see `MESSAGE_HEADERS`). Round-trip unchanged. */
  readonly headers: Readonly<Headers>;
  /** The payload. Delivered and dead-lettered byte for byte. */
  readonly body: Uint8Array;
  /** 0–255; honoured by binders that support it (RabbitMQ priority queues), ignored elsewhere. */
  readonly priority?: number;
}

/** A message as a consumer's handler receives it. */
export interface DeliveredMessage extends OutgoingMessage {
  /** The binding's destination it was read from. */
  readonly destination: string;
  /**
   * 1 on first delivery; n on the n-th attempt when the transport retries after a handler error.
   * A broker redelivery after a crash may repeat an attempt number: dedupe on `id`, never on this.
   */
  readonly attempt: number;
}

/**
 * Well-known header names. Transports carry them like any other header; the relay, the serde and
 * the dead-letter format read and write them. Lower-case so AMQP and Kafka agree.
 */
export const MESSAGE_HEADERS = {
  correlationId: 'eventfold-correlation-id',
  causationId: 'eventfold-causation-id',
  /** W3C trace context, passed through untouched. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** Set by the relay: where the event lives in the store. */
  streamId: 'eventfold-stream-id',
  streamPosition: 'eventfold-stream-position',
  globalPosition: 'eventfold-global-position',
  occurredAt: 'eventfold-occurred-at',
  /** Set on dead letters (see deadLetter.ts). */
  deadLetterReason: 'eventfold-dlq-reason',
  deadLetterErrorCode: 'eventfold-dlq-error-code',
  deadLetterAttempts: 'eventfold-dlq-attempts',
  deadLetterOrigin: 'eventfold-dlq-origin',
  deadLetterGroup: 'eventfold-dlq-group',
  deadLetterAt: 'eventfold-dlq-at',
} as const;

/** Handles one message. Resolve to acknowledge; throw to have the transport retry or dead-letter it. */
export type MessageHandler = (message: DeliveredMessage) => Promise<void> | void;

/**
 * Checks a message before publishing, so every binder rejects the same bad input the same way
 * (InvalidInputError naming the field) instead of failing somewhere inside a client library.
 */
export function assertOutgoingMessage(message: OutgoingMessage, path = 'message'): void {
  if (typeof message !== 'object' || message === null) throw new InvalidInputError(path, 'must be an object.');
  const nonEmpty = (field: 'id' | 'type' | 'key' | 'contentType') => {
    const value = message[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 1_000) {
      throw new InvalidInputError(`${path}.${field}`, `must be a non-empty string of at most 1,000 characters (got ${JSON.stringify(value)}).`);
    }
  };
  nonEmpty('id');
  nonEmpty('type');
  nonEmpty('key');
  nonEmpty('contentType');
  if (!Number.isInteger(message.schemaVersion) || message.schemaVersion < 1) {
    throw new InvalidInputError(`${path}.schemaVersion`, `must be an integer ≥ 1 (got ${JSON.stringify(message.schemaVersion)}).`);
  }
  if (!(message.body instanceof Uint8Array)) {
    throw new InvalidInputError(`${path}.body`, 'must be a Uint8Array (a Buffer is one); encode the payload first, e.g. with a JSON serde.');
  }
  if (typeof message.headers !== 'object' || message.headers === null) throw new InvalidInputError(`${path}.headers`, 'must be an object of strings.');
  for (const [name, value] of Object.entries(message.headers)) {
    if (typeof value !== 'string') throw new InvalidInputError(`${path}.headers.${name}`, `must be a string (got ${typeof value}).`);
  }
  const priority = message.priority;
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > 255)) {
    throw new InvalidInputError(`${path}.priority`, `must be an integer 0–255 (got ${JSON.stringify(priority)}).`);
  }
}
