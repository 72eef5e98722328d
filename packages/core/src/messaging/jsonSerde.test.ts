import { describe, expect, it } from 'vitest';
import { isEventfoldError } from '../errors.js';
import { defineUpcasters } from '../eventsourcing/defineUpcasters.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createJsonSerde, encodeJsonMessage, eventToMessage, UnreadableMessageError } from './jsonSerde.js';
import { MESSAGE_HEADERS } from './message.js';

const serde = createJsonSerde({
  types: {
    OrderPlaced: [1, 2],
    OrderShipped: {
      versions: [1],
      parse: (data) => {
        if (typeof data !== 'object' || data === null || !('trackingId' in data)) throw new Error('trackingId is required');
        return data;
      },
    },
  },
});

function unreadable(fn: () => unknown): UnreadableMessageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnreadableMessageError);
    expect(isEventfoldError(error, 'EVENTFOLD_UNREADABLE_MESSAGE')).toBe(true);
    expect((error as UnreadableMessageError).retryable).toBe(false);
    return error as UnreadableMessageError;
  }
  throw new Error('expected an UnreadableMessageError');
}

describe('JSON serde', () => {
  it('round-trips data, type, version, key and correlation headers', () => {
    const message = serde.encode({
      id: 'm1',
      type: 'OrderPlaced',
      schemaVersion: 2,
      key: 'order-1',
      data: { total: 12.5, lines: [{ sku: 'a', qty: 2 }], note: 'ü ✓' },
      headers: { [MESSAGE_HEADERS.correlationId]: 'c1', [MESSAGE_HEADERS.causationId]: 'k1' },
    });
    expect(message.contentType).toBe('application/json');
    const decoded = serde.decode(message);
    expect(decoded).toMatchObject({ id: 'm1', type: 'OrderPlaced', schemaVersion: 2, key: 'order-1', correlationId: 'c1', causationId: 'k1' });
    expect(decoded.data).toEqual({ total: 12.5, lines: [{ sku: 'a', qty: 2 }], note: 'ü ✓' });
  });

  it('refuses to encode data that is not JSON', () => {
    expect(() => encodeJsonMessage({ id: 'x', type: 'T', key: 'k', data: { at: new Date() } })).toThrow(/data/);
    expect(() => encodeJsonMessage({ id: 'x', type: 'T', key: 'k', data: { n: Number.NaN } })).toThrow(/data/);
  });

  it('names the reason for each kind of unreadable input', () => {
    const good = serde.encode({ id: 'm', type: 'OrderPlaced', key: 'k', data: {} });
    expect(unreadable(() => serde.decode({ ...good, body: new TextEncoder().encode('{"a":') })).message).toMatch(/body is not UTF-8 JSON/);
    expect(unreadable(() => serde.decode({ ...good, body: Uint8Array.from([0xff, 0xfe]) })).message).toMatch(/body is not UTF-8 JSON/);
    expect(unreadable(() => serde.decode({ ...good, type: 'Nope' })).context.reason).toMatch(/unknown type "Nope"; known types: OrderPlaced, OrderShipped/);
    expect(unreadable(() => serde.decode({ ...good, schemaVersion: 3 })).message).toMatch(/unknown schema version 3 of "OrderPlaced"/);
    expect(unreadable(() => serde.decode({ ...good, contentType: 'text/plain' })).message).toMatch(/content type "text\/plain"/);
    const shipped = serde.encode({ id: 's', type: 'OrderShipped', key: 'k', data: { carrier: 'x' } });
    expect(unreadable(() => serde.decode(shipped)).message).toMatch(/parser of OrderShipped v1: trackingId is required/);
  });

  it('turns a stored event into a message keyed by its stream, id = event id, positions in headers', async () => {
    const store = createInMemoryEventStore();
    await store.appendToStream('order-7', [{ type: 'OrderPlaced', data: { n: 1 }, correlationId: 'corr', headers: { traceparent: 't' } }]);
    const [event] = await store.readAll();
    const message = eventToMessage(event!);
    expect(message).toMatchObject({ id: event!.eventId, key: 'order-7', type: 'OrderPlaced', schemaVersion: 1 });
    expect(message.headers).toMatchObject({
      traceparent: 't',
      [MESSAGE_HEADERS.correlationId]: 'corr',
      [MESSAGE_HEADERS.streamId]: 'order-7',
      [MESSAGE_HEADERS.streamPosition]: '1',
      [MESSAGE_HEADERS.globalPosition]: String(event!.globalPosition),
    });
    expect(serde.decode(message).data).toEqual({ n: 1 });
    expect(eventToMessage(event!, 'tenant-1').key).toBe('tenant-1');
    await store.close();
  });

  it("lifts old versions and renamed types with the store's upcasters before checking them", () => {
    const upcasters = defineUpcasters([
      { type: 'OrderPlaced', fromVersion: 2, upcast: (d) => ({ ...(d as object), currency: 'EUR' }) },
      { type: 'OrderSent', fromVersion: 1, renameTo: 'OrderShipped', upcast: (d) => d },
      {
        type: 'OrderBroken',
        fromVersion: 1,
        upcast: () => {
          throw new Error('cannot lift');
        },
      },
    ]);
    const lifting = createJsonSerde({ types: { OrderPlaced: [3], OrderShipped: [2], OrderBroken: [2] }, upcasters });
    const v2 = lifting.decode(encodeJsonMessage({ id: 'a', type: 'OrderPlaced', schemaVersion: 2, key: 'k', data: { total: 1 } }));
    expect([v2.type, v2.schemaVersion, v2.data]).toEqual(['OrderPlaced', 3, { total: 1, currency: 'EUR' }]);
    const renamed = lifting.decode(encodeJsonMessage({ id: 'b', type: 'OrderSent', key: 'k', data: { trackingId: 't' } }));
    expect([renamed.type, renamed.schemaVersion]).toEqual(['OrderShipped', 2]);
    expect(unreadable(() => lifting.decode(encodeJsonMessage({ id: 'c', type: 'OrderPlaced', schemaVersion: 1, key: 'k', data: {} }))).message).toMatch(
      /upcasting failed: OrderPlaced v1 cannot be lifted to v3/,
    );
    expect(unreadable(() => lifting.decode(encodeJsonMessage({ id: 'd', type: 'OrderBroken', key: 'k', data: {} }))).message).toMatch(
      /upcasting failed: .*cannot lift/,
    );
  });
});
