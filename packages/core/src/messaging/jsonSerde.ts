/**
 * JSON serde for messages, in "binary mode": type, schema version and metadata travel as message
 * fields and headers, the body is the UTF-8 JSON of the event's data. Decoding never crashes a
 * consumer: input it cannot read (not UTF-8 JSON, an unknown type, an unknown schema version, data
 * its parser rejects) raises an UnreadableMessageError, which is not retryable, so the transport
 * dead-letters the message at once with the reason and goes on with the next one.
 */
import type { Headers, JsonValue, RecordedEvent } from '../envelope.js';
import { EventfoldError } from '../errors.js';
import type { UpcasterRegistry } from '../eventsourcing/defineUpcasters.js';
import { assertJsonValue } from '../prepareAppend.js';
import { type DeliveredMessage, MESSAGE_HEADERS, type MessageHandler, type OutgoingMessage } from './message.js';

export const JSON_CONTENT_TYPE = 'application/json';

/** The message cannot be read by this consumer; retrying will not help. */
export class UnreadableMessageError extends EventfoldError {
  override readonly name = 'UnreadableMessageError';
  constructor(message: Pick<OutgoingMessage, 'id' | 'type' | 'schemaVersion'>, reason: string, cause?: unknown) {
    super('EVENTFOLD_UNREADABLE_MESSAGE', `Message ${message.id} (${message.type} v${message.schemaVersion}) is unreadable: ${reason}`, {
      retryable: false,
      cause,
      context: { messageId: message.id, type: message.type, schemaVersion: message.schemaVersion, reason },
    });
  }
}

/** How one type is read: the schema versions understood, and an optional parser (zod's `.parse`, …) per version. */
export interface JsonTypeReader<TData = JsonValue> {
  versions: readonly number[];
  /** Validates or converts the data; a throw makes the message unreadable (dead-lettered with the error's message). */
  parse?: (data: JsonValue, schemaVersion: number) => TData;
}

export interface JsonSerdeOptions {
  /** Types this consumer reads (after upcasting). Messages of other types are unreadable. */
  types: Record<string, JsonTypeReader<unknown> | readonly number[]>;
  /**
   * Lifts old schema versions (and renamed types) before the checks, with the same registry the
   * event store uses (`defineUpcasters`). An upcaster that throws makes the message unreadable.
   */
  upcasters?: UpcasterRegistry;
}

/** A decoded message: the envelope facts plus its data. */
export interface DecodedMessage<TData = unknown> {
  id: string;
  type: string;
  schemaVersion: number;
  key: string;
  headers: Readonly<Headers>;
  data: TData;
  correlationId: string | undefined;
  causationId: string | undefined;
}

export interface EncodeInput {
  id: string;
  type: string;
  schemaVersion?: number;
  key: string;
  data: unknown;
  headers?: Headers;
  priority?: number;
}

export interface JsonSerde {
  encode(input: EncodeInput): OutgoingMessage;
  /** Throws UnreadableMessageError for anything it cannot read. */
  decode(message: OutgoingMessage): DecodedMessage;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes `data` as the UTF-8 JSON body of a message. */
export function encodeJsonMessage(input: EncodeInput): OutgoingMessage {
  assertJsonValue(input.data, 'data');
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    id: input.id,
    type: input.type,
    schemaVersion: input.schemaVersion ?? 1,
    key: input.key,
    contentType: JSON_CONTENT_TYPE,
    headers: { ...(input.headers ?? {}) },
    body: encoder.encode(JSON.stringify(input.data)),
  };
  if (input.priority !== undefined) message.priority = input.priority;
  return message;
}

/**
 * The message the relay publishes for a stored event: id = event id, key = partition key (the stream
 * id by default), position and correlation facts in headers.
 */
export function eventToMessage(event: RecordedEvent, key: string = event.streamId): OutgoingMessage {
  const headers: Headers = {
    ...event.headers,
    [MESSAGE_HEADERS.streamId]: event.streamId,
    [MESSAGE_HEADERS.streamPosition]: String(event.streamPosition),
    [MESSAGE_HEADERS.globalPosition]: String(event.globalPosition),
    [MESSAGE_HEADERS.occurredAt]: event.occurredAt.toISOString(),
  };
  if (event.correlationId !== undefined) headers[MESSAGE_HEADERS.correlationId] = event.correlationId;
  if (event.causationId !== undefined) headers[MESSAGE_HEADERS.causationId] = event.causationId;
  return encodeJsonMessage({ id: event.eventId, type: event.type, schemaVersion: event.schemaVersion, key, data: event.data, headers });
}

/** The message seen as a recorded event, so the store's upcasters can lift it. */
function asRecordedEvent(message: OutgoingMessage, data: JsonValue): RecordedEvent {
  const h = message.headers;
  return {
    eventId: message.id,
    type: message.type,
    schemaVersion: message.schemaVersion,
    data,
    streamId: h[MESSAGE_HEADERS.streamId] ?? message.key,
    streamPosition: Number(h[MESSAGE_HEADERS.streamPosition] ?? 0),
    globalPosition: 0n,
    occurredAt: new Date(h[MESSAGE_HEADERS.occurredAt] ?? 0),
    correlationId: h[MESSAGE_HEADERS.correlationId],
    causationId: h[MESSAGE_HEADERS.causationId],
    headers: h,
  };
}

/**
 * @example
 * const serde = createJsonSerde({ types: { OrderPlaced: [1, 2], OrderShipped: { versions: [1], parse: ShippedV1.parse } } });
 * await transport.subscribe(bindings.ordersIn, withJsonSerde(serde, async (m) => apply(m.type, m.data)));
 */
export function createJsonSerde(options: JsonSerdeOptions): JsonSerde {
  const readers = new Map<string, JsonTypeReader<unknown>>();
  for (const [type, reader] of Object.entries(options.types)) {
    readers.set(type, Array.isArray(reader) ? { versions: reader as readonly number[] } : (reader as JsonTypeReader<unknown>));
  }
  return {
    encode: encodeJsonMessage,
    decode(message) {
      if (!message.contentType.toLowerCase().startsWith(JSON_CONTENT_TYPE)) {
        throw new UnreadableMessageError(message, `content type "${message.contentType}" is not ${JSON_CONTENT_TYPE}.`);
      }
      let data: JsonValue;
      try {
        data = JSON.parse(decoder.decode(message.body)) as JsonValue;
      } catch (error) {
        throw new UnreadableMessageError(message, `body is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)}).`, error);
      }
      let type = message.type;
      let schemaVersion = message.schemaVersion;
      if (options.upcasters !== undefined) {
        try {
          const lifted = options.upcasters.upcast(asRecordedEvent(message, data));
          ({ type, schemaVersion } = lifted);
          data = lifted.data;
        } catch (error) {
          throw new UnreadableMessageError(message, `upcasting failed: ${error instanceof Error ? error.message : String(error)}`, error);
        }
      }
      const reader = readers.get(type);
      if (reader === undefined) {
        throw new UnreadableMessageError(message, `unknown type "${type}"; known types: ${[...readers.keys()].join(', ') || 'none'}.`);
      }
      if (!reader.versions.includes(schemaVersion)) {
        throw new UnreadableMessageError(
          message,
          `unknown schema version ${schemaVersion} of "${type}"; this consumer reads versions ${reader.versions.join(', ')}. Deploy a consumer that knows it, then replay the dead letter.`,
        );
      }
      let parsed: unknown = data;
      if (reader.parse !== undefined) {
        try {
          parsed = reader.parse(data, schemaVersion);
        } catch (error) {
          throw new UnreadableMessageError(
            message,
            `data rejected by the parser of ${type} v${schemaVersion}: ${error instanceof Error ? error.message : String(error)}`,
            error,
          );
        }
      }
      return {
        id: message.id,
        type,
        schemaVersion,
        key: message.key,
        headers: message.headers,
        data: parsed,
        correlationId: message.headers[MESSAGE_HEADERS.correlationId],
        causationId: message.headers[MESSAGE_HEADERS.causationId],
      };
    },
  };
}

/** Adapts a handler of decoded messages into a transport handler; unreadable input is dead-lettered by the transport. */
export function withJsonSerde(serde: JsonSerde, handler: (message: DecodedMessage, raw: DeliveredMessage) => Promise<void> | void): MessageHandler {
  return (raw) => handler(serde.decode(raw), raw);
}
