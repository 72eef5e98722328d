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

export type KafkaRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Builds the record for `topic`; `extra` headers (retry bookkeeping) are added after the user's. */
export function toKafkaRecord(topic: string, message: OutgoingMessage, extra?: Readonly<Record<string, string>>): KafkaRecord {
  const headers = new Map<Buffer, Buffer>();
  headers.set(Buffer.from(KAFKA_HEADERS.id), Buffer.from(message.id));
  headers.set(Buffer.from(KAFKA_HEADERS.type), Buffer.from(message.type));
  headers.set(Buffer.from(KAFKA_HEADERS.schemaVersion), Buffer.from(String(message.schemaVersion)));
  headers.set(Buffer.from(KAFKA_HEADERS.contentType), Buffer.from(message.contentType));
  if (message.priority !== undefined) headers.set(Buffer.from(KAFKA_HEADERS.priority), Buffer.from(String(message.priority)));
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

function headerEntries(record: ConsumedRecord): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const source =
    record.headers instanceof Map ? [...record.headers.entries()] : [...(record.headers as ReadonlyArray<readonly [Buffer | null, Buffer | null]>)];
  for (const [k, v] of source) {
    if (k === null || k === undefined) continue;
    out.push([k.toString(), v === null || v === undefined ? '' : v.toString()]);
  }
  return out;
}

/** Reads a record back into the message it was made from, plus retry bookkeeping. */
export function fromKafkaRecord(record: ConsumedRecord): RecordEnvelope {
  const internal = new Map<string, string>();
  const headers: Record<string, string> = {};
  for (const [name, value] of headerEntries(record)) {
    if (INTERNAL.has(name)) internal.set(name, value);
    else headers[name] = value;
  }
  const schemaVersion = Number.parseInt(internal.get(KAFKA_HEADERS.schemaVersion) ?? '', 10);
  const priority = internal.get(KAFKA_HEADERS.priority);
  const id = internal.get(KAFKA_HEADERS.id);
  const type = internal.get(KAFKA_HEADERS.type);
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: id ?? '',
    type: type ?? '',
    schemaVersion: Number.isNaN(schemaVersion) ? 0 : schemaVersion,
    key: record.key ? record.key.toString() : '',
    contentType: internal.get(KAFKA_HEADERS.contentType) ?? 'application/octet-stream',
    headers,
    body: record.value ?? Buffer.alloc(0),
  };
  if (priority !== undefined) message.priority = Number(priority);
  const attempt = Number.parseInt(internal.get(KAFKA_HEADERS.retryAttempt) ?? '1', 10);
  const dueAt = Number.parseInt(internal.get(KAFKA_HEADERS.retryDue) ?? '0', 10);
  return {
    message,
    attempt: Number.isNaN(attempt) ? 1 : attempt,
    dueAt: Number.isNaN(dueAt) ? 0 : dueAt,
    wellFormed: id !== undefined && type !== undefined && !Number.isNaN(schemaVersion),
  };
}

export function toDelivered(message: OutgoingMessage, destination: string, attempt: number): DeliveredMessage {
  return { ...message, destination, attempt };
}
