import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../clock.js';
import type { EventToAppend, JsonValue } from '../../envelope.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId, placed, range, untilVisible } from './helpers.js';

export function readConformance(ctx: ConformanceContext): void {
  describe('read', () => {
    it('reads a stream forwards and backwards, within a version range, up to a count', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      await store.appendToStream(
        s,
        range(10).map((i) => placed(i + 1)),
      );
      await store.appendToStream(newStreamId(), [placed(99)]);
      const positions = async (options: Parameters<typeof store.readStream>[1]) => (await store.readStream(s, options)).map((e) => e.streamPosition);
      expect(await positions({})).toEqual(range(10).map((i) => i + 1));
      expect(await positions({ direction: 'backwards' })).toEqual(range(10).map((i) => 10 - i));
      expect(await positions({ fromVersion: 4, toVersion: 6 })).toEqual([4, 5, 6]);
      expect(await positions({ fromVersion: 4, toVersion: 6, direction: 'backwards' })).toEqual([6, 5, 4]);
      expect(await positions({ maxCount: 3 })).toEqual([1, 2, 3]);
      expect(await positions({ direction: 'backwards', maxCount: 3 })).toEqual([10, 9, 8]);
      expect(await positions({ fromVersion: 8, maxCount: 5 })).toEqual([8, 9, 10]);
      expect(await positions({ fromVersion: 11 })).toEqual([]);
      expect(await store.readStream(newStreamId('missing'))).toEqual([]);
    });

    it('reads a stream as of a point in time', async () => {
      const clock = createManualClock(Date.parse('2026-03-01T00:00:00Z'));
      const store = await ctx.open({ clock });
      const s = newStreamId();
      await store.appendToStream(s, [placed(1), placed(2)]);
      clock.advance(60_000);
      await store.appendToStream(s, [placed(3)]);
      clock.advance(60_000);
      await store.appendToStream(s, [placed(4)]);
      const asOf = async (iso: string) => (await store.readStream(s, { asOf: new Date(iso) })).map((e) => e.streamPosition);
      expect(await asOf('2026-02-28T23:59:59.999Z')).toEqual([]);
      expect(await asOf('2026-03-01T00:00:00Z')).toEqual([1, 2]);
      expect(await asOf('2026-03-01T00:01:30Z')).toEqual([1, 2, 3]);
      expect(await asOf('2027-01-01T00:00:00Z')).toEqual([1, 2, 3, 4]);
    });

    it('the lean read for folds, where a store has one, returns what readStream returns for every range', async () => {
      const clock = createManualClock(Date.parse('2026-03-01T00:00:00Z'));
      const store = await ctx.open({ clock });
      if (!store.readStreamForFold) return expect(store.readStreamForFold).toBeUndefined();
      const s = newStreamId();
      await store.appendToStream(s, [placed(1), { type: 'OrderShipped', schemaVersion: 3, data: { nested: { list: [1, 'two', null] } } }]);
      clock.advance(60_000);
      await store.appendToStream(s, [placed(3), placed(4)]);
      await store.appendToStream(newStreamId(), [placed(99)]);
      const options = [
        {},
        { fromVersion: 2 },
        { toVersion: 3 },
        { fromVersion: 2, toVersion: 3, direction: 'backwards' as const },
        { maxCount: 1 },
        { asOf: new Date('2026-03-01T00:00:30Z') },
      ];
      for (const option of options) {
        const full = (await store.readStream(s, option)).map(({ type, schemaVersion, data, streamPosition }) => ({
          type,
          schemaVersion,
          data,
          streamPosition,
        }));
        const lean = (await store.readStreamForFold(s, option)).map(({ type, schemaVersion, data, streamPosition }) => ({
          type,
          schemaVersion,
          data,
          streamPosition,
        }));
        expect(lean, JSON.stringify(option)).toEqual(full);
      }
      expect((await store.readStreamForFold(s)).map((e) => e.streamPosition)).toEqual([1, 2, 3, 4]);
      expect(await store.readStreamForFold(newStreamId('missing'))).toEqual([]);
      await expect(store.readStreamForFold('', {})).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    });

    it('reads all events in one global order from a checkpoint', async () => {
      const store = await ctx.open();
      const [a, b] = [newStreamId('a'), newStreamId('b')];
      expect(await store.headPosition()).toBe(0n);
      await store.appendToStream(a, [placed(1), placed(2)]);
      await store.appendToStream(b, [placed(3)]);
      await untilVisible(store, (await store.appendToStream(a, [placed(4)])).globalPosition);
      const all = await store.readAll();
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
      for (let i = 1; i < all.length; i++) expect((all[i]?.globalPosition ?? 0n) > (all[i - 1]?.globalPosition ?? 0n)).toBe(true);
      expect(await store.headPosition()).toBe(all[3]?.globalPosition);
      const after = await store.readAll({ after: all[1]?.globalPosition, maxCount: 1 });
      expect(after.map((e) => (e.data as { n: number }).n)).toEqual([3]);
      expect(await store.readAll({ after: all[3]?.globalPosition })).toEqual([]);
      expect(await store.readAll({ after: 0n })).toHaveLength(4);
    });

    it('reads back exactly what was appended, in order, for random batches (property)', async () => {
      const eventArb = fc.record({
        type: fc.constantFrom('OrderPlaced', 'OrderPaid', 'ItemAdded', 'Ünïcode-Happened'),
        schemaVersion: fc.integer({ min: 1, max: 5 }),
        data: fc.jsonValue({ maxDepth: 3 }),
        correlationId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        headers: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
      });
      const store = await ctx.open();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(eventArb, { minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 6 }),
          async (batches) => {
            const streams = range(4).map(() => newStreamId('prop'));
            const expected = new Map<string, EventToAppend[]>();
            const start = await store.headPosition();
            const inOrder: EventToAppend[] = [];
            let last = start;
            for (const [streamIndex, batch] of batches) {
              const streamId = streams[streamIndex] as string;
              // JSON has no negative zero: -0 is stored as 0, the one value JSON.stringify normalises.
              const events = batch.map((e) => ({ ...e, data: JSON.parse(JSON.stringify(e.data)) as JsonValue }));
              last = (await store.appendToStream(streamId, events)).globalPosition;
              expected.set(streamId, [...(expected.get(streamId) ?? []), ...events]);
              inOrder.push(...events);
            }
            for (const [streamId, events] of expected) {
              const read = await store.readStream(streamId);
              expect(read.map((e) => [e.type, e.schemaVersion, e.data, e.correlationId, e.headers])).toEqual(
                events.map((e) => [e.type, e.schemaVersion, e.data, e.correlationId, e.headers ?? {}]),
              );
              expect(read.map((e) => e.streamPosition)).toEqual(range(events.length).map((i) => i + 1));
            }
            await untilVisible(store, last);
            const ours = new Set(streams);
            const all = (await store.readAll({ after: start, maxCount: 10_000 })).filter((e) => ours.has(e.streamId));
            expect(all.map((e) => [e.type, e.data])).toEqual(inOrder.map((e) => [e.type, e.data]));
          },
        ),
        { numRuns: ctx.propertyRuns },
      );
    });
  });
}
