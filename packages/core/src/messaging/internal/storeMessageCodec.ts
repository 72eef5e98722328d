/**
 * How the store transport keeps messages in an event store. Each publish call appends one new
 * stream `$inproc/<destination>/<uuid v7>`, so publishers never contend on a stream version; each
 * event's data is the message envelope with the body in base64 (bodies are bytes, event data is
 * JSON):
 *   { "id": "…", "key": "…", "contentType": "…", "headers": { … }, "body": "<base64>", "priority": 3? }
 * The event's type and schemaVersion are the message's. Dead letters of a group live in the stream
 * `$inproc-dlq/<sha256(destination, group)>`: `$DeadLettered` events (a message in the same shape
 * plus the dead-letter headers) and `$DeadLetterRemoved` events ({ "deadLetterId": <event id> }).
 */
import { createHash } from 'node:crypto';
import type { EventToAppend, JsonObject, RecordedEvent } from '../../envelope.js';
import type { OutgoingMessage } from '../message.js';

export const STREAM_PREFIX = '$inproc/';
export const DEAD_LETTERED = '$DeadLettered';
export const DEAD_LETTER_REMOVED = '$DeadLetterRemoved';

export function destinationPrefix(destination: string): string {
  return `${STREAM_PREFIX}${destination}/`;
}

export function deadLetterStream(destination: string, group: string): string {
  return `$inproc-dlq/${createHash('sha256').update(destination).update('\0').update(group).digest('hex').slice(0, 40)}`;
}

export function checkpointName(destination: string, group: string): string {
  return `$inproc:${createHash('sha256').update(destination).update('\0').update(group).digest('hex').slice(0, 40)}`;
}

export function messageToEvent(message: OutgoingMessage, type = message.type): EventToAppend<string, JsonObject> {
  const data: JsonObject = {
    id: message.id,
    key: message.key,
    contentType: message.contentType,
    headers: { ...message.headers },
    body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength).toString('base64'),
  };
  if (message.priority !== undefined) data.priority = message.priority;
  return {
    type,
    schemaVersion: type === message.type ? message.schemaVersion : 1,
    data: type === message.type ? data : { ...data, type: message.type, schemaVersion: message.schemaVersion },
  };
}

/** Reads a message back; undefined when the event is not one this codec wrote. */
export function eventToStoredMessage(event: RecordedEvent): OutgoingMessage | undefined {
  const d = event.data as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object' || typeof d.id !== 'string' || typeof d.key !== 'string' || typeof d.body !== 'string') return undefined;
  const type = typeof d.type === 'string' ? d.type : event.type;
  const schemaVersion = typeof d.schemaVersion === 'number' ? d.schemaVersion : event.schemaVersion;
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: d.id,
    type,
    schemaVersion,
    key: d.key,
    contentType: typeof d.contentType === 'string' ? d.contentType : 'application/octet-stream',
    headers: (d.headers ?? {}) as Record<string, string>,
    body: new Uint8Array(Buffer.from(d.body, 'base64')),
  };
  if (typeof d.priority === 'number') message.priority = d.priority;
  return message;
}
