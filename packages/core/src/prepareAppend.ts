/**
 * Validates and serialises an append before any store touches its database, so bad input is
 * rejected whole with a typed error and nothing is half written. Every store calls this first.
 */
import type { Clock } from './clock.js';
import type { EventToAppend, Headers } from './envelope.js';
import { InvalidInputError, PayloadTooLargeError } from './errors.js';
import { assertExpectedVersion, type ExpectedVersion } from './expectedVersion.js';
import { isUuid, uuidv7 } from './uuidv7.js';

export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_STREAM_ID_LENGTH = 255;
export const MAX_EVENT_TYPE_LENGTH = 255;
export const MAX_BATCH_SIZE = 10_000;
/** The metadata JSON of an event with no correlation, causation or headers; readers skip parsing it. */
export const EMPTY_METADATA_JSON = JSON.stringify({ headers: {} });

export interface AppendLimits {
  /** Largest serialised event (data + metadata, UTF-8 bytes). Default 1 MiB. */
  maxEventBytes?: number;
}

/** An event validated and serialised, ready for a store to write. */
export interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  /** JSON text of `data`. */
  data: string;
  /** JSON text of `{ correlationId?, causationId?, headers? }`. */
  metadata: string;
  correlationId: string | undefined;
  causationId: string | undefined;
  headers: Headers;
}

export interface PreparedAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  occurredAt: Date;
  events: PreparedEvent[];
}

export function assertStreamId(streamId: unknown, path = 'streamId'): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new InvalidInputError(path, 'must be a non-empty string such as "order-42".');
  }
  if (streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new InvalidInputError(path, `is ${streamId.length} characters; the limit is ${MAX_STREAM_ID_LENGTH}.`);
  }
  if (streamId.includes('\u0000')) throw new InvalidInputError(path, 'must not contain the NUL character.');
  if (LONE_SURROGATE.test(streamId)) throw new InvalidInputError(path, 'holds a lone UTF-16 surrogate, which no database can store as text; fix the string.');
}

/** A UTF-16 surrogate without its pair: UTF-8 encoders would silently replace it. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Checks that `value` survives a JSON round trip unchanged: plain objects, arrays, strings, finite
 * numbers, booleans and null. Anything else (undefined, functions, BigInt, NaN, Date, Map, cycles)
 * would be silently altered by JSON.stringify, so it is refused with the path that holds it.
 */
export function assertJsonValue(value: unknown, path: string, seen: Set<object> = new Set()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidInputError(path, `${value} cannot be represented in JSON; use null or a string.`);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) throw new InvalidInputError(path, 'contains a circular reference; JSON cannot represent it.');
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw new InvalidInputError(`${path}[${i}]`, 'is a hole in a sparse array; fill it with null.');
          assertJsonValue(value[i], `${path}[${i}]`, seen);
        }
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const kind = (value as object).constructor?.name ?? 'object';
          throw new InvalidInputError(path, `is a ${kind}; only plain objects, arrays and primitives are JSON. Convert it (e.g. a Date to an ISO string).`);
        }
        for (const key of Object.keys(value)) assertJsonValue((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
      }
      seen.delete(value);
      return;
    }
    default:
      throw new InvalidInputError(
        path,
        `is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, which JSON cannot represent; remove it or use null.`,
      );
  }
}

/**
 * The common case of `assertJsonValue` without building a path string or a set per value: true when
 * `value` is plain JSON. False (or too deep to tell here) sends the caller to `assertJsonValue`, which
 * names the offending path — or, for a deep but valid value, passes.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      // Deeper than any real event, or a cycle: the careful check decides.
      if (depth > 64) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function optionalId(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new InvalidInputError(path, 'must be a non-empty string of at most 255 characters.');
  }
  return value;
}

function prepareHeaders(value: unknown, path: string): Headers {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(path, 'must be an object of string values.');
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InvalidInputError(`${path}.${key}`, 'must be a string.');
  }
  return value as Headers;
}

/** Validate a whole append; throws InvalidInputError / PayloadTooLargeError before anything is written. */
export function prepareAppend(streamId: unknown, events: unknown, expectedVersion: unknown, clock: Clock, limits: AppendLimits = {}): PreparedAppend {
  assertStreamId(streamId);
  assertExpectedVersion(expectedVersion);
  if (!Array.isArray(events) || events.length === 0) throw new InvalidInputError('events', 'must be a non-empty array of events.');
  if (events.length > MAX_BATCH_SIZE) throw new InvalidInputError('events', `holds ${events.length} events; the limit per append is ${MAX_BATCH_SIZE}.`);
  const maxBytes = limits.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const occurredAt = clock.now();
  const ids = new Set<string>();
  const prepared = events.map((raw: unknown, i): PreparedEvent => {
    const path = `events[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new InvalidInputError(path, 'must be an object with type and data.');
    const event = raw as EventToAppend<string, unknown>;
    if (
      typeof event.type !== 'string' ||
      event.type.length === 0 ||
      event.type.length > MAX_EVENT_TYPE_LENGTH ||
      LONE_SURROGATE.test(event.type) ||
      event.type.includes('\u0000')
    ) {
      throw new InvalidInputError(`${path}.type`, `must be a non-empty string of at most ${MAX_EVENT_TYPE_LENGTH} characters, such as "OrderPlaced".`);
    }
    const schemaVersion = event.schemaVersion ?? 1;
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) throw new InvalidInputError(`${path}.schemaVersion`, 'must be a whole number ≥ 1.');
    const eventId = event.eventId ?? uuidv7(occurredAt.getTime());
    if (!isUuid(eventId)) throw new InvalidInputError(`${path}.eventId`, 'must be a UUID (leave it out to get a UUID v7).');
    const id = eventId.toLowerCase();
    if (ids.has(id)) throw new InvalidInputError(`${path}.eventId`, `${id} appears twice in one append.`);
    ids.add(id);
    if (event.data === undefined) throw new InvalidInputError(`${path}.data`, 'is required (use null or {} for an event without data).');
    if (!isPlainJson(event.data, 0)) assertJsonValue(event.data, `${path}.data`);
    const correlationId = optionalId(event.correlationId, `${path}.correlationId`);
    const causationId = optionalId(event.causationId, `${path}.causationId`);
    const headers = prepareHeaders(event.headers, `${path}.headers`);
    const data = JSON.stringify(event.data);
    const metadata = JSON.stringify({ correlationId, causationId, headers });
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most events are counted without encoding them.
    if ((data.length + metadata.length) * 3 > maxBytes) {
      const size = Buffer.byteLength(data) + Buffer.byteLength(metadata);
      if (size > maxBytes) throw new PayloadTooLargeError(path, size, maxBytes);
    }
    return { eventId: id, type: event.type, schemaVersion, data, metadata, correlationId, causationId, headers };
  });
  return { streamId, expectedVersion, occurredAt, events: prepared };
}
