/**
 * OutgoingMessage ⇄ Kafka record. The record key is the message key (so Kafka's partitioner keeps
 * per-key order), the value is the body byte for byte, and the message's own fields travel in
 * headers next to the user's headers:
 *
 *   eventfold-message-id       message id (inboxes dedupe on it)
 *   eventfold-type             message type
 *   eventfold-schema-version   decimal ≥ 1
 *   eventfold-content-type     MIME type of the value
 *   eventfold-priority         0–255, only when set (Kafka ignores it; RabbitMQ honours it)
 *   eventfold-retry-attempt    retry-topic records only: the attempt this delivery is (≥ 2)
 *   eventfold-retry-due        retry-topic records only: epoch ms before which it must not run
 *
 * Internal headers are removed before a handler sees the message, so user headers round-trip unchanged.
 */
import type { DeliveredMessage, OutgoingMessage } from '@eventfold/core';
import type { MessageToProduce } from '@platformatic/kafka';

export const KAFKA_HEADERS = {
  id: 'eventfold-message-id',
  type: 'eventfold-type',
  schemaVersion: 'eventfold-schema-version',
  contentType: 'eventfold-content-type',
  priority: 'eventfold-priority',
  retryAttempt: 'eventfold-retry-attempt',
  retryDue: 'eventfold-retry-due',
} as const;

const INTERNAL = new Set<string>(Object.values(KAFKA_HEADERS));
// Header names are the same on every record: encode them once.
const NAME = {
  id: Buffer.from(KAFKA_HEADERS.id),
  type: Buffer.from(KAFKA_HEADERS.type),
  schemaVersion: Buffer.from(KAFKA_HEADERS.schemaVersion),
  contentType: Buffer.from(KAFKA_HEADERS.contentType),
  priority: Buffer.from(KAFKA_HEADERS.priority),
};

export type KafkaRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Builds the record for `topic`; `extra` headers (retry bookkeeping) are added after the user's. */
export function toKafkaRecord(topic: string, message: OutgoingMessage, extra?: Readonly<Record<string, string>>): KafkaRecord {
  const headers = new Map<Buffer, Buffer>();
  headers.set(NAME.id, Buffer.from(message.id));
  headers.set(NAME.type, Buffer.from(message.type));
  headers.set(NAME.schemaVersion, Buffer.from(String(message.schemaVersion)));
  headers.set(NAME.contentType, Buffer.from(message.contentType));
  if (message.priority !== undefined) headers.set(NAME.priority, Buffer.from(String(message.priority)));
  for (const [name, value] of Object.entries(message.headers)) {
    if (!INTERNAL.has(name)) headers.set(Buffer.from(name), Buffer.from(value));
  }
  if (extra) for (const [name, value] of Object.entries(extra)) headers.set(Buffer.from(name), Buffer.from(value));
  return { topic, key: Buffer.from(message.key), value: bytes(message.body), headers };
}

/** What a consumed record carries besides the message. */
export interface RecordEnvelope {
  readonly message: OutgoingMessage;
  /** 1 for records of the main topic; the retry attempt for retry-topic records. */
  readonly attempt: number;
  /** Epoch ms before which a retry record must not run; 0 for main-topic records. */
  readonly dueAt: number;
  /** False when the record lacks the Eventfold headers (written by a foreign producer). */
  readonly wellFormed: boolean;
}

/** Minimal shape of a consumed record (platformatic's Message and our topic reader both fit). */
export interface ConsumedRecord {
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
  readonly headers: ReadonlyMap<Buffer | string, Buffer | string | null | undefined> | ReadonlyArray<readonly [Buffer | null, Buffer | null]>;
}

/** Reads a record back into the message it was made from, plus retry bookkeeping. One pass over the headers. */
export function fromKafkaRecord(record: ConsumedRecord): RecordEnvelope {
  const headers: Record<string, string> = {};
  let id: string | undefined;
  let type: string | undefined;
  let version: string | undefined;
  let contentType: string | undefined;
  let priority: string | undefined;
  let attemptText: string | undefined;
  let dueText: string | undefined;
  // One loop, no per-record closure: this runs for every consumed record.
  const entries: Iterable<readonly [Buffer | string | null | undefined, Buffer | string | null | undefined]> =
    record.headers instanceof Map ? record.headers.entries() : (record.headers as ReadonlyArray<readonly [Buffer | null, Buffer | null]>);
  for (const [k, v] of entries) {
    if (k === null || k === undefined) continue;
    const name = k.toString();
    const value = v === null || v === undefined ? '' : v.toString();
    switch (name) {
      case KAFKA_HEADERS.id:
        id = value;
        break;
      case KAFKA_HEADERS.type:
        type = value;
        break;
      case KAFKA_HEADERS.schemaVersion:
        version = value;
        break;
      case KAFKA_HEADERS.contentType:
        contentType = value;
        break;
      case KAFKA_HEADERS.priority:
        priority = value;
        break;
      case KAFKA_HEADERS.retryAttempt:
        attemptText = value;
        break;
      case KAFKA_HEADERS.retryDue:
        dueText = value;
        break;
      default:
        headers[name] = value;
    }
  }
  const schemaVersion = version === undefined ? Number.NaN : Number.parseInt(version, 10);
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: id ?? '',
    type: type ?? '',
    schemaVersion: Number.isNaN(schemaVersion) ? 0 : schemaVersion,
    key: record.key ? record.key.toString() : '',
    contentType: contentType ?? 'application/octet-stream',
    headers,
    body: record.value ?? Buffer.alloc(0),
  };
  if (priority !== undefined) message.priority = Number(priority);
  const attempt = attemptText === undefined ? 1 : Number.parseInt(attemptText, 10);
  const dueAt = dueText === undefined ? 0 : Number.parseInt(dueText, 10);
  return {
    message,
    attempt: Number.isNaN(attempt) ? 1 : attempt,
    dueAt: Number.isNaN(dueAt) ? 0 : dueAt,
    wellFormed: id !== undefined && type !== undefined && !Number.isNaN(schemaVersion),
  };
}

export function toDelivered(message: OutgoingMessage, destination: string, attempt: number): DeliveredMessage {
  // A literal with one fixed shape (priority may be undefined): an object spread here showed up in consumer profiles.
  return {
    id: message.id,
    type: message.type,
    schemaVersion: message.schemaVersion,
    key: message.key,
    contentType: message.contentType,
    headers: message.headers,
    body: message.body,
    priority: message.priority,
    destination,
    attempt,
  };
}
