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

/**
 * The header scan, shared by every decode. Decoding is synchronous, so module-level state is safe
 * and no per-record closure or result object is needed for it. Internal header names all differ in
 * length, so a name is recognised by its length and bytes without being decoded to a string.
 */
const SLOT = { id: 0, type: 1, schemaVersion: 2, contentType: 3, priority: 4, retryAttempt: 5, retryDue: 6 } as const;
const SLOT_NAMES = [
  KAFKA_HEADERS.id,
  KAFKA_HEADERS.type,
  KAFKA_HEADERS.schemaVersion,
  KAFKA_HEADERS.contentType,
  KAFKA_HEADERS.priority,
  KAFKA_HEADERS.retryAttempt,
  KAFKA_HEADERS.retryDue,
];
const SLOT_BYTES = SLOT_NAMES.map((name) => Buffer.from(name));
const SLOT_BY_LENGTH = new Int8Array(64).fill(-1);
for (const [slot, bytes] of SLOT_BYTES.entries()) {
  if (SLOT_BY_LENGTH[bytes.length] !== -1) throw new Error(`internal Kafka header names must differ in length (${SLOT_NAMES[slot]})`);
  SLOT_BY_LENGTH[bytes.length] = slot;
}
const SLOT_BY_NAME = new Map<string, number>(SLOT_NAMES.map((name, slot) => [name, slot]));

function slotOf(name: Buffer | string): number {
  if (typeof name === 'string') return SLOT_BY_NAME.get(name) ?? -1;
  const length = name.length;
  const slot = length < 64 ? (SLOT_BY_LENGTH[length] as number) : -1;
  if (slot < 0) return -1;
  const expected = SLOT_BYTES[slot] as Buffer;
  // From the end: the names share the 'eventfold-' prefix.
  for (let i = length - 1; i >= 0; i -= 1) if (name[i] !== expected[i]) return -1;
  return slot;
}

/**
 * Short values that repeat on almost every record (type, content type): a small table compares the
 * bytes with the last value seen in the same bucket and reuses its string instead of decoding again.
 */
const CACHE_SIZE = 16;
const cachedBytes: Array<Buffer | undefined> = new Array(CACHE_SIZE).fill(undefined);
const cachedTexts: string[] = new Array(CACHE_SIZE).fill('');

function repeatedText(value: Buffer): string {
  const length = value.length;
  if (length === 0) return '';
  if (length > 64) return value.toString();
  const bucket = (length * 31 + (value[0] as number) * 7 + (value[length - 1] as number)) & (CACHE_SIZE - 1);
  const cached = cachedBytes[bucket];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < length && cached[i] === value[i]) i += 1;
    if (i === length) return cachedTexts[bucket] as string;
  }
  const text = value.toString();
  cachedBytes[bucket] = Buffer.from(value);
  cachedTexts[bucket] = text;
  return text;
}

type HeaderPart = Buffer | string | null | undefined;

function text(value: HeaderPart): string {
  return value === null || value === undefined ? '' : typeof value === 'string' ? value : value.toString();
}

/** `text` for headers whose few distinct values repeat on every record (type, content type): reuses the string. */
function sharedText(value: HeaderPart): string {
  return value === null || value === undefined || typeof value === 'string' ? text(value) : repeatedText(value);
}

/** A decimal header value; digits are read from the bytes, anything else goes through parseInt (NaN when unreadable). */
function decimal(value: HeaderPart): number {
  if (value !== null && value !== undefined && typeof value !== 'string' && value.length > 0 && value.length <= 15) {
    let n = 0;
    for (let i = 0; i < value.length; i += 1) {
      const digit = (value[i] as number) - 48;
      if (digit < 0 || digit > 9) return Number.parseInt(value.toString(), 10);
      n = n * 10 + digit;
    }
    return n;
  }
  return Number.parseInt(text(value), 10);
}

let scanId: string | undefined;
let scanType: string | undefined;
let scanVersion: number | undefined;
let scanContentType: string | undefined;
let scanPriority: string | undefined;
let scanAttempt: number | undefined;
let scanDue: number | undefined;
let scanHeaders: Record<string, string> = {};

function visitHeader(value: HeaderPart, name: HeaderPart): void {
  if (name === null || name === undefined) return;
  switch (slotOf(name)) {
    case SLOT.id:
      scanId = text(value);
      break;
    case SLOT.type:
      scanType = sharedText(value);
      break;
    case SLOT.schemaVersion:
      scanVersion = decimal(value);
      break;
    case SLOT.contentType:
      scanContentType = sharedText(value);
      break;
    case SLOT.priority:
      scanPriority = text(value);
      break;
    case SLOT.retryAttempt:
      scanAttempt = decimal(value);
      break;
    case SLOT.retryDue:
      scanDue = decimal(value);
      break;
    default:
      scanHeaders[text(name)] = text(value);
  }
}

function scanRecord(record: ConsumedRecord): void {
  scanId = undefined;
  scanType = undefined;
  scanVersion = undefined;
  scanContentType = undefined;
  scanPriority = undefined;
  scanAttempt = undefined;
  scanDue = undefined;
  scanHeaders = {};
  const headers = record.headers;
  if (headers instanceof Map) {
    (headers as Map<HeaderPart, HeaderPart>).forEach(visitHeader);
  } else {
    const entries = headers as ReadonlyArray<readonly [Buffer | null, Buffer | null]>;
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i] as readonly [Buffer | null, Buffer | null];
      visitHeader(entry[1], entry[0]);
    }
  }
}

const EMPTY_BODY = Buffer.alloc(0);

function scannedVersion(): number {
  return scanVersion === undefined || Number.isNaN(scanVersion) ? 0 : scanVersion;
}

function scannedAttempt(): number {
  return scanAttempt === undefined || Number.isNaN(scanAttempt) ? 1 : scanAttempt;
}

function scannedDue(): number {
  return scanDue === undefined || Number.isNaN(scanDue) ? 0 : scanDue;
}

function scannedWellFormed(): boolean {
  return scanId !== undefined && scanType !== undefined && scanVersion !== undefined && !Number.isNaN(scanVersion);
}

/** Reads a record back into the message it was made from, plus retry bookkeeping. One pass over the headers. */
export function fromKafkaRecord(record: ConsumedRecord): RecordEnvelope {
  scanRecord(record);
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: scanId ?? '',
    type: scanType ?? '',
    schemaVersion: scannedVersion(),
    key: record.key ? record.key.toString() : '',
    contentType: scanContentType ?? 'application/octet-stream',
    headers: scanHeaders,
    body: record.value ?? EMPTY_BODY,
  };
  if (scanPriority !== undefined) message.priority = Number(scanPriority);
  return { message, attempt: scannedAttempt(), dueAt: scannedDue(), wellFormed: scannedWellFormed() };
}

/** A consumed record as its handler receives it, plus what the consumer needs to schedule it. */
export interface DecodedRecord {
  message: DeliveredMessage;
  /** Epoch ms before which a retry record must not run; 0 for main-topic records. */
  dueAt: number;
  /** False when the record lacks the Eventfold headers (written by a foreign producer). */
  wellFormed: boolean;
}

/**
 * `fromKafkaRecord` + `toDelivered` in one step, building the delivered message directly (the consumer's
 * hot path). Writes into `into` — the consumer passes its per-record object, so nothing else is allocated.
 */
export function decodeDelivered<T extends DecodedRecord>(record: ConsumedRecord, destination: string, into: T): T {
  scanRecord(record);
  // One literal with one fixed shape (priority may be undefined), like toDelivered.
  into.message = {
    id: scanId ?? '',
    type: scanType ?? '',
    schemaVersion: scannedVersion(),
    key: record.key ? record.key.toString() : '',
    contentType: scanContentType ?? 'application/octet-stream',
    headers: scanHeaders,
    body: record.value ?? EMPTY_BODY,
    priority: scanPriority === undefined ? undefined : Number(scanPriority),
    destination,
    attempt: scannedAttempt(),
  };
  into.dueAt = scannedDue();
  into.wellFormed = scannedWellFormed();
  return into;
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
