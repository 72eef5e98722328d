import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../errors.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId, placed, range } from './helpers.js';

export function concurrencyConformance(ctx: ConformanceContext): void {
  describe('concurrency', () => {
    it('50 writers x 20 rounds at one expected version: one success per version, the rest typed conflicts', async () => {
      const store = await ctx.open();
      const s = newStreamId('contended');
      let successes = 0;
      let conflicts = 0;
      const other: unknown[] = [];
      for (let round = 0; round < 20; round++) {
        const outcomes = await Promise.allSettled(
          range(50).map((writer) => store.appendToStream(s, [placed(round * 100 + writer)], { expectedVersion: round === 0 ? 'no_stream' : round })),
        );
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') successes += 1;
          else if (outcome.reason instanceof ConcurrencyError) conflicts += 1;
          else other.push(outcome.reason);
        }
        expect(await store.streamVersion(s)).toBe(round + 1);
      }
      expect(other).toEqual([]);
      expect(successes).toBe(20);
      expect(successes + conflicts).toBe(1000);
      const events = await store.readStream(s);
      expect(events.map((e) => e.streamPosition)).toEqual(range(20).map((i) => i + 1));
      expect(events.map((e) => Math.floor((e.data as { n: number }).n / 100))).toEqual(range(20));
    });

    it("50 concurrent creators with 'no_stream': exactly one stream is created", async () => {
      const store = await ctx.open();
      const s = newStreamId('created');
      const outcomes = await Promise.allSettled(range(50).map((i) => store.appendToStream(s, [placed(i), placed(i + 1000)], { expectedVersion: 'no_stream' })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(rejected).toHaveLength(49);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(ConcurrencyError);
      const events = await store.readStream(s);
      expect(events).toHaveLength(2);
      const [first, second] = events.map((e) => (e.data as { n: number }).n);
      expect(second).toBe((first as number) + 1000);
    });

    it("concurrent 'any' appends all succeed with contiguous versions", async () => {
      const store = await ctx.open();
      const s = newStreamId('any');
      const results = await Promise.all(range(40).map((i) => store.appendToStream(s, [placed(i)])));
      expect(results.map((r) => r.nextExpectedVersion).sort((a, b) => a - b)).toEqual(range(40).map((i) => i + 1));
      expect((await store.readStream(s)).map((e) => e.streamPosition)).toEqual(range(40).map((i) => i + 1));
    });
  });
}
