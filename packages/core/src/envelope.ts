/**
 * The message model. An event is an immutable business fact named AggregatePastParticiple
 * (`OrderPlaced`); the store stamps it with its position in its stream and in the global log.
 */

/** Opaque, totally ordered position in the global log. Compare with `<`; store as text or numeric. */
export type GlobalPosition = bigint;

/** The position before the first event: a subscriber starting here sees everything. */
export const START: GlobalPosition = 0n;

/** JSON-representable data: what an event's `data` may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Free headers travelling with an event (trace context, tenant, …). String values only. */
export type Headers = Record<string, string>;

/** What a caller hands to `appendToStream`. */
export interface EventToAppend<TType extends string = string, TData = JsonValue> {
  type: TType;
  data: TData;
  /** Version of this event type's schema; upcasters lift old versions on read. Defaults to 1. */
  schemaVersion?: number;
  /** UUID. Defaults to a new UUID v7. Appending the same id twice stores it once. */
  eventId?: string;
  correlationId?: string;
  causationId?: string;
  headers?: Headers;
}

export interface EventMetadata {
  eventId: string;
  streamId: string;
  /** 1-based version of this event in its stream. */
  streamPosition: number;
  globalPosition: GlobalPosition;
  occurredAt: Date;
  correlationId: string | undefined;
  causationId: string | undefined;
  headers: Readonly<Headers>;
}

/** An event as read back from a store. */
export interface RecordedEvent<TType extends string = string, TData = JsonValue> extends EventMetadata {
  readonly type: TType;
  readonly schemaVersion: number;
  readonly data: TData;
}

/** Compare two global positions (for sorting). */
export function compareGlobalPositions(a: GlobalPosition, b: GlobalPosition): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parse a global position written by `String(position)`; throws on anything else. */
export function parseGlobalPosition(text: string): GlobalPosition {
  if (!/^\d+$/.test(text)) throw new TypeError(`"${text}" is not a global position (digits expected).`);
  return BigInt(text);
}
