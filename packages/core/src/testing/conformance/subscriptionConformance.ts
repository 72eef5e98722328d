import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../envelope.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId, placed, range, untilVisible } from './helpers.js';

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function subscriptionConformance(ctx: ConformanceContext): void {
  describe('subscriptions', () => {
    it('catches up from a checkpoint, then delivers live appends in order', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      await untilVisible(
        store,
        (
          await store.appendToStream(
            s,
            range(25).map((i) => placed(i)),
          )
        ).globalPosition,
      );
      const all = await store.readAll();
      const received: RecordedEvent[] = [];
      const subscription = store.subscribe({ after: all[9]?.globalPosition, batchSize: 4, pollIntervalMs: 20, handler: (e) => void received.push(e) });
      await subscription.caughtUp;
      expect(received.map((e) => (e.data as { n: number }).n)).toEqual(range(15).map((i) => i + 10));
      await store.appendToStream(s, [placed(100)]);
      await store.appendToStream(newStreamId(), [placed(101), placed(102)]);
      await until(() => received.length === 18);
      expect(received.slice(15).map((e) => (e.data as { n: number }).n)).toEqual([100, 101, 102]);
      expect(subscription.position).toBe(received[17]?.globalPosition);
      await subscription.stop();
      await store.appendToStream(s, [placed(103)]);
      await new Promise((r) => setTimeout(r, 60));
      expect(received).toHaveLength(18);
    });

    it('stops with the handler error, at the last handled position', async () => {
      const store = await ctx.open();
      await untilVisible(
        store,
        (
          await store.appendToStream(
            newStreamId(),
            range(5).map((i) => placed(i)),
          )
        ).globalPosition,
      );
      const seen: number[] = [];
      const subscription = store.subscribe({
        pollIntervalMs: 10,
        handler: (e) => {
          const n = (e.data as { n: number }).n;
          if (n === 3) throw new Error('projection failed');
          seen.push(n);
        },
      });
      await expect(subscription.done).rejects.toThrow('projection failed');
      expect(seen).toEqual([0, 1, 2]);
      const all = await store.readAll();
      expect(subscription.position).toBe(all[2]?.globalPosition);
    });

    it('an aborted signal stops delivery', async () => {
      const store = await ctx.open();
      const controller = new AbortController();
      const received: RecordedEvent[] = [];
      const subscription = store.subscribe({ signal: controller.signal, pollIntervalMs: 10, handler: (e) => void received.push(e) });
      await store.appendToStream(newStreamId(), [placed(1)]);
      await until(() => received.length === 1);
      controller.abort();
      await subscription.done;
      await store.appendToStream(newStreamId(), [placed(2)]);
      await new Promise((r) => setTimeout(r, 40));
      expect(received).toHaveLength(1);
    });
  });
}
