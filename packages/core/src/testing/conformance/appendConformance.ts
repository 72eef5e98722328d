import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../clock.js';
import { ConcurrencyError, DuplicateEventError } from '../../errors.js';
import { isUuid } from '../../uuidv7.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId, placed } from './helpers.js';

export function appendConformance(ctx: ConformanceContext): void {
  describe('append', () => {
    it('stores a batch and returns the new version and global position', async () => {
      const clock = createManualClock(Date.parse('2026-01-02T03:04:05.678Z'));
      const store = await ctx.open({ clock });
      const streamId = newStreamId('order');
      const result = await store.appendToStream(streamId, [
        placed(1, { correlationId: 'corr-1', causationId: 'cmd-1', headers: { traceparent: '00-abc-def-01' } }),
        { type: 'OrderPaid', schemaVersion: 2, data: { amount: 12.5 } },
      ]);
      expect(result).toMatchObject({ streamId, nextExpectedVersion: 2, alreadyStored: false });
      const events = await store.readStream(streamId);
      expect(events.map((e) => [e.type, e.streamPosition, e.schemaVersion])).toEqual([
        ['OrderPlaced', 1, 1],
        ['OrderPaid', 2, 2],
      ]);
      const [first, second] = events;
      expect(isUuid(first?.eventId)).toBe(true);
      expect(first?.eventId[14]).toBe('7');
      expect(first?.streamId).toBe(streamId);
      expect(first?.correlationId).toBe('corr-1');
      expect(first?.causationId).toBe('cmd-1');
      expect(first?.headers).toEqual({ traceparent: '00-abc-def-01' });
      expect(first?.occurredAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
      expect(first?.data).toEqual({ n: 1, items: [{ sku: 'sku-1', qty: 1 }] });
      expect(second?.correlationId).toBeUndefined();
      expect(second?.headers).toEqual({});
      expect(typeof second?.globalPosition).toBe('bigint');
      expect((second?.globalPosition ?? 0n) > (first?.globalPosition ?? 0n)).toBe(true);
      expect(result.globalPosition).toBe(second?.globalPosition);
      expect(await store.streamVersion(streamId)).toBe(2);
      expect(await store.streamVersion(newStreamId('absent'))).toBe(0);
    });

    it('enforces each kind of expected version', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      await expect(store.appendToStream(s, [placed(1)], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.appendToStream(s, [placed(1)], { expectedVersion: 3 })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.appendToStream(s, [placed(1)], { expectedVersion: 'no_stream' })).toMatchObject({ nextExpectedVersion: 1 });
      const conflict = await store.appendToStream(s, [placed(2)], { expectedVersion: 'no_stream' }).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(ConcurrencyError);
      expect(conflict).toMatchObject({ code: 'EVENTFOLD_CONCURRENCY', retryable: true, streamId: s, actualVersion: 1 });
      expect(await store.appendToStream(s, [placed(2)], { expectedVersion: 'stream_exists' })).toMatchObject({ nextExpectedVersion: 2 });
      expect(await store.appendToStream(s, [placed(3), placed(4)], { expectedVersion: 2 })).toMatchObject({ nextExpectedVersion: 4 });
      await expect(store.appendToStream(s, [placed(5)], { expectedVersion: 2 })).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.appendToStream(s, [placed(5)], { expectedVersion: 5 })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.appendToStream(s, [placed(5)], { expectedVersion: 'any' })).toMatchObject({ nextExpectedVersion: 5 });
      expect(await store.appendToStream(s, [placed(6)])).toMatchObject({ nextExpectedVersion: 6 });
      const t = newStreamId();
      expect(await store.appendToStream(t, [placed(1)], { expectedVersion: 0 })).toMatchObject({ nextExpectedVersion: 1 });
      expect((await store.readStream(s)).map((e) => e.streamPosition)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('stores an event id once: a retried append is acknowledged without writing again', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      const batch = [placed(1, { eventId: '018f0000-0000-7000-8000-000000000001' }), placed(2, { eventId: '018f0000-0000-7000-8000-000000000002' })];
      const first = await store.appendToStream(s, batch, { expectedVersion: 'no_stream' });
      const again = await store.appendToStream(s, batch, { expectedVersion: 'no_stream' });
      expect(again).toEqual({ ...first, alreadyStored: true });
      expect(await store.streamVersion(s)).toBe(2);
      expect(await store.readAll({ maxCount: 100 })).toHaveLength(2);
    });

    it('rejects a batch that partly repeats stored events, writing none of it', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      const id = '018f0000-0000-7000-8000-0000000000aa';
      await store.appendToStream(s, [placed(1, { eventId: id })]);
      const error = await store.appendToStream(s, [placed(2), placed(3, { eventId: id })]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateEventError);
      expect(error).toMatchObject({ code: 'EVENTFOLD_DUPLICATE_EVENT' });
      const other = await store.appendToStream(newStreamId(), [placed(4, { eventId: id })]).catch((e: unknown) => e);
      expect(other).toBeInstanceOf(DuplicateEventError);
      expect(await store.readAll({ maxCount: 100 })).toHaveLength(1);
    });

    it('keeps unusual but valid JSON exactly', async () => {
      const store = await ctx.open();
      const s = newStreamId('ünïcödé/😀');
      const data = {
        nul: 'a\u0000b',
        lone: '\ud800x',
        emoji: '😀',
        nested: { empty: {}, list: [], deep: [[[null]]] },
        big: 9007199254740991,
        small: -1.5e-300,
        proto: JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
      };
      await store.appendToStream(s, [{ type: 'Thing-Happened.v2', data }]);
      const [event] = await store.readStream(s);
      expect(event?.data).toEqual(data);
      expect(event?.streamId).toBe(s);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
}
