/**
 * Properties of the in-memory transport under random failures (manual clock): every message is
 * either processed exactly once or dead-lettered exactly once, and per key the successful messages
 * are processed in publish order — retries hold their key, so nothing overtakes them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { defineBinding } from './bindings.js';
import { createInMemoryTransport } from './inMemoryTransport.js';
import { encodeJsonMessage } from './jsonSerde.js';
import { createManualTimers } from './timers.js';

describe('in-memory transport under random failures (property)', () => {
  it('processes once or dead-letters once, in per-key order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), failures: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        async (plan, concurrency, members) => {
          const timers = createManualTimers(createManualClock(0));
          const transport = createInMemoryTransport({ clock: timers.clock, sleep: timers.sleep, random: () => 0.5 });
          const binding = defineBinding('in', {
            binder: 'memory',
            destination: 'd',
            group: 'g',
            consumer: { concurrency, retry: { maxAttempts: 3, initialDelayMs: 10, multiplier: 2, jitter: 0.2 } },
          });
          const failuresLeft = new Map(plan.map((p, i) => [`m${i}`, p.failures]));
          const processed: string[] = [];
          const handler = async (m: { id: string }) => {
            await Promise.resolve();
            const left = failuresLeft.get(m.id) ?? 0;
            if (left > 0) {
              failuresLeft.set(m.id, left - 1);
              throw new Error(`fail ${m.id}`);
            }
            processed.push(m.id);
          };
          for (let i = 0; i < members; i += 1) await transport.subscribe(binding, handler);
          await transport.publish(
            binding,
            plan.map((p, i) => encodeJsonMessage({ id: `m${i}`, type: 'T', key: p.key, data: i })),
          );
          for (let step = 0; step < 50 && transport.pending(binding) + timers.pending > 0; step += 1) await timers.advance(50);
          await timers.advance(100);
          const dead = (await transport.deadLetters.list(binding, { limit: 1_000 })).map((d) => d.message.id);
          const expectDead = plan.map((p, i) => (p.failures >= 3 ? `m${i}` : undefined)).filter((x) => x !== undefined);
          expect(dead.sort()).toEqual(expectDead.sort());
          expect(new Set(processed).size).toBe(processed.length);
          expect(processed.length + dead.length).toBe(plan.length);
          for (const key of ['a', 'b', 'c', 'd']) {
            const inOrder = plan.map((p, i) => (p.key === key && p.failures < 3 ? `m${i}` : undefined)).filter((x) => x !== undefined);
            expect(processed.filter((id) => plan[Number(id.slice(1))]!.key === key)).toEqual(inOrder);
          }
          await transport.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
