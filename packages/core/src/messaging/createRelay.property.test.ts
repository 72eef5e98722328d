/**
 * The relay under random crashes (property): whatever the crash points — before publishing, halfway
 * through a batch, or after publishing but before the checkpoint — relaying on to the end delivers
 * every event at least once, and the first delivery of each stream's events follows store order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import type { EventStore } from '../eventStore.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { defineBinding } from './bindings.js';
import { createRelay } from './createRelay.js';
import type { OutgoingMessage } from './message.js';
import { createInMemoryRelayLease } from './relayLease.js';
import type { Transport } from './transport.js';

type Crash = 'none' | 'before-publish' | 'mid-publish' | 'before-checkpoint';

describe('createRelay under random crashes (property)', () => {
  it('never loses an event and keeps per-stream order of first deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.constantFrom<Crash>('none', 'none', 'before-publish', 'mid-publish', 'before-checkpoint'), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 12 }),
        async (streams, crashes, batchSize) => {
          const clock = createManualClock(0);
          const store = createInMemoryEventStore({ clock });
          for (const s of streams) await store.appendToStream(`s-${s}`, [{ type: 'Happened', data: { s } }]);
          const delivered: OutgoingMessage[] = [];
          let crash: Crash = 'none';
          const transport = {
            binder: 'memory',
            async publish(_binding: unknown, messages: readonly OutgoingMessage[]) {
              if (crash === 'before-publish') throw new Error('crash');
              if (crash === 'mid-publish') {
                delivered.push(...messages.slice(0, Math.ceil(messages.length / 2)));
                throw new Error('crash');
              }
              delivered.push(...messages);
            },
          } as unknown as Transport;
          const crashingStore: EventStore = {
            ...store,
            checkpoints: {
              ...store.checkpoints,
              store: async (name, position, options) => {
                if (crash === 'before-checkpoint') throw new Error('crash');
                await store.checkpoints.store(name, position, options);
              },
            },
          };
          const lease = createInMemoryRelayLease({ clock });
          const binding = defineBinding('out', { binder: 'memory', destination: 'd' });
          let process = 0;
          const relay = () => createRelay({ name: 'r', owner: `p${process}`, store: crashingStore, transport, lease, routes: [{ binding }], batchSize, clock });
          let current = relay();
          for (const next of crashes) {
            crash = next;
            try {
              await current.runOnce();
            } catch {
              // The process died: a new one takes over once the old lease has expired.
              process += 1;
              clock.advance(20_000);
              current = relay();
            }
          }
          crash = 'none';
          while ((await current.runOnce()) > 0);
          const all = await store.readAll({ maxCount: 10_000 });
          const firstSeen: string[] = [];
          const seen = new Set<string>();
          for (const m of delivered) {
            if (!seen.has(m.id)) firstSeen.push(m.id);
            seen.add(m.id);
          }
          expect(seen).toEqual(new Set(all.map((e) => e.eventId)));
          for (let s = 0; s <= 5; s += 1) {
            const storeOrder = all.filter((e) => e.streamId === `s-${s}`).map((e) => e.eventId);
            expect(firstSeen.filter((id) => storeOrder.includes(id))).toEqual(storeOrder);
          }
          expect(await store.checkpoints.load('r')).toBe(all.at(-1)!.globalPosition);
        },
      ),
      { numRuns: 100 },
    );
  });
});
