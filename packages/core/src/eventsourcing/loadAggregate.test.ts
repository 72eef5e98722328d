import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createManualClock } from '../clock.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { fold } from './decider.js';
import { loadAggregate } from './loadAggregate.js';
import { defineSnapshotPolicy } from './snapshotPolicy.js';
import { counterDecider } from './testDeciders.js';

describe('temporal loads', () => {
  test('state as of version N equals the replay of the first N events (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.option(fc.integer({ min: 1, max: 20 })),
        async (amounts, pick, snapshotEvery) => {
          const store = createInMemoryEventStore();
          const events = amounts.map((amount) => ({ type: 'CounterAdded' as const, data: { amount } }));
          // Several appends, so versions come from different batches.
          for (let i = 0; i < events.length; i += 7) await store.appendToStream('counter-1', events.slice(i, i + 7));
          const snapshots =
            snapshotEvery === null ? undefined : defineSnapshotPolicy<{ total: number; amounts: number[] }>({ everyEvents: snapshotEvery, stateVersion: 1 });
          if (snapshots) {
            const at = Math.max(1, Math.floor(events.length / 2));
            await store.snapshots.save({
              streamId: 'counter-1',
              streamVersion: at,
              stateVersion: 1,
              state: fold(counterDecider, counterDecider.initialState(), events.slice(0, at)),
            });
          }
          const n = pick % (events.length + 1);
          const loaded = await loadAggregate(store, 'counter-1', counterDecider, { toVersion: n, ...(snapshots ? { snapshots } : {}) });
          expect(loaded.version).toBe(n);
          expect(loaded.state).toEqual(fold(counterDecider, counterDecider.initialState(), events.slice(0, n)));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('state as of an instant replays only the events that had occurred', async () => {
    const clock = createManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const store = createInMemoryEventStore({ clock });
    for (const amount of [1, 2, 3, 4]) {
      await store.appendToStream('counter-1', [{ type: 'CounterAdded', data: { amount } }]);
      clock.advance(60_000);
    }
    const at = (iso: string) => loadAggregate(store, 'counter-1', counterDecider, { asOf: new Date(iso) });
    expect(await at('2025-12-31T23:59:59Z')).toMatchObject({ version: 0, state: { total: 0 } });
    expect(await at('2026-01-01T00:01:30Z')).toMatchObject({ version: 2, state: { total: 3, amounts: [1, 2] } });
    expect(await at('2026-01-01T01:00:00Z')).toMatchObject({ version: 4, state: { total: 10 } });
  });

  test('a negative version is refused', async () => {
    const store = createInMemoryEventStore();
    await expect(loadAggregate(store, 'counter-1', counterDecider, { toVersion: -1 })).rejects.toMatchObject({
      code: 'EVENTFOLD_INVALID_INPUT',
      path: 'toVersion',
    });
  });
});
