/**
 * Wire format of an Eventfold message on AMQP 0-9-1:
 *   body                       the message body, byte for byte
 *   message-id / type          message id / message type
 *   content-type               content type
 *   priority                   priority (0–255), when given
 *   delivery-mode 2            persistent
 *   headers                    the message's string headers plus
 *     eventfold-key              partition key
 *     eventfold-schema-version   schema version, decimal
 *     eventfold-attempt          attempt number of a retried copy (absent on the first)
 * Broker-added headers (x-death, x-first-death-*, x-delivery-count) are not part of the message.
 */
import { type DeliveredMessage, EventfoldError, type OutgoingMessage } from '@eventfold/core';
import type { Message, Options } from 'amqplib';

export const KEY_HEADER = 'eventfold-key';
export const SCHEMA_VERSION_HEADER = 'eventfold-schema-version';
export const ATTEMPT_HEADER = 'eventfold-attempt';
/** Identifies one dead letter (a message may be dead-lettered more than once). */
export const DEAD_LETTER_ID_HEADER = 'eventfold-dlq-id';

const TRANSPORT_HEADERS = new Set([KEY_HEADER, SCHEMA_VERSION_HEADER, ATTEMPT_HEADER, DEAD_LETTER_ID_HEADER]);

function isBrokerHeader(name: string): boolean {
  return name === 'x-death' || name.startsWith('x-first-death-') || name.startsWith('x-last-death-') || name === 'x-delivery-count';
}

export interface EncodedMessage {
  content: Buffer;
  options: Options.Publish;
}

export function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export function encodeMessage(message: OutgoingMessage, timestampMs: number, mandatory = true): EncodedMessage {
  // Built as a literal, then user headers copied in: amqplib makes this object a prototype
  // (Object.create(headers)), which is much cheaper for a fast-mode object than for a spread result.
  const version = String(message.schemaVersion);
  const headers: Record<string, string> = { 'eventfold-key': message.key, 'eventfold-schema-version': version };
  for (const name in message.headers) headers[name] = message.headers[name] as string;
  // The transport's own headers win over user headers of the same name.
  headers[KEY_HEADER] = message.key;
  headers[SCHEMA_VERSION_HEADER] = version;
  const options: Options.Publish = {
    messageId: message.id,
    type: message.type,
    contentType: message.contentType,
    deliveryMode: 2,
    mandatory,
    timestamp: Math.floor(timestampMs / 1000),
    headers,
    priority: message.priority,
  };
  return { content: toBuffer(message.body), options };
}

/** Headers as the message carried them, minus broker and transport bookkeeping. */
export function userHeaders(raw: Message): Record<string, string> {
  const out: Record<string, string> = {};
  const headers: Record<string, unknown> | undefined = raw.properties.headers;
  if (headers === undefined || headers === null) return out;
  // for-in over amqplib's plain decoded table: no entry arrays per delivery.
  for (const name in headers) {
    if (TRANSPORT_HEADERS.has(name) || isBrokerHeader(name)) continue;
    const value = headers[name];
    out[name] = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}

export function attemptOf(raw: Message): number {
  const value = Number(raw.properties.headers?.[ATTEMPT_HEADER] ?? 1);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

function unreadable(reason: string): EventfoldError {
  return new EventfoldError('EVENTFOLD_UNREADABLE_MESSAGE', `Unreadable message: ${reason}`, { retryable: false });
}

/** Reads an AMQP message; throws EVENTFOLD_UNREADABLE_MESSAGE (not retryable) for one without the envelope. */
export function decodeMessage(raw: Message, destination: string): DeliveredMessage {
  const p = raw.properties;
  if (typeof p.messageId !== 'string' || p.messageId === '') throw unreadable('it has no message-id property.');
  if (typeof p.type !== 'string' || p.type === '') throw unreadable(`message ${p.messageId} has no type property.`);
  const rawVersion = p.headers?.[SCHEMA_VERSION_HEADER];
  const schemaVersion = rawVersion === undefined ? 1 : Number(rawVersion);
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw unreadable(`message ${p.messageId} has schema version ${JSON.stringify(rawVersion)}; expected an integer ≥ 1.`);
  }
  const keyValue = p.headers?.[KEY_HEADER];
  const message: { -readonly [K in keyof DeliveredMessage]: DeliveredMessage[K] } = {
    id: p.messageId,
    type: p.type,
    schemaVersion,
    key: typeof keyValue === 'string' ? keyValue : keyValue === undefined ? '' : String(keyValue),
    contentType: typeof p.contentType === 'string' ? p.contentType : 'application/octet-stream',
    headers: userHeaders(raw),
    body: raw.content,
    destination,
    attempt: attemptOf(raw),
  };
  if (typeof p.priority === 'number') message.priority = p.priority;
  return message;
}

/** Publish options that copy a received message exactly, with header changes applied. */
export function republishOptions(raw: Message, headerChanges: Record<string, string | number | undefined>): Options.Publish {
  const p = raw.properties;
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(p.headers ?? {})) if (!isBrokerHeader(name)) headers[name] = value;
  for (const [name, value] of Object.entries(headerChanges)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const options: Options.Publish = { deliveryMode: 2, headers };
  if (p.messageId !== undefined) options.messageId = p.messageId;
  if (p.type !== undefined) options.type = p.type;
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.priority !== undefined) options.priority = p.priority;
  if (p.timestamp !== undefined) options.timestamp = p.timestamp;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.appId !== undefined) options.appId = p.appId;
  return options;
}
