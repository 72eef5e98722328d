import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createManualClock } from '../clock.js';
import type { EventStore } from '../eventStore.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { defineDecider, fold } from './decider.js';
import { defineUpcasters, type UpcasterRegistry } from './defineUpcasters.js';
import { loadAggregate } from './loadAggregate.js';
import { defineSnapshotPolicy } from './snapshotPolicy.js';
import { counterDecider } from './testDeciders.js';
import { withUpcasting } from './withUpcasting.js';

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

describe('lean reads for folds', () => {
  type Funded = { type: 'WalletFunded'; data: { cents: number; at?: string } };
  const wallet = defineDecider<{ cents: number; types: string[]; at: string[] }, never, Funded | { type: 'PurseFilled'; data: { cents: number } }>({
    name: 'Wallet',
    eventTypes: ['WalletFunded'],
    initialState: () => ({ cents: 0, types: [], at: [] }),
    decide: () => [],
    evolve: (state, event) => ({
      cents: state.cents + event.data.cents,
      types: [...state.types, event.type],
      at: 'at' in event.data && event.data.at ? [...state.at, event.data.at] : state.at,
    }),
  });

  /** The in-memory store with a record of which read each load used. */
  function spiedStore() {
    const inner = createInMemoryEventStore({ clock: createManualClock(Date.parse('2026-05-01T00:00:00Z')) });
    const calls: string[] = [];
    const store: EventStore = {
      ...inner,
      readStream: (id, options) => {
        calls.push('readStream');
        return inner.readStream(id, options);
      },
      readStreamForFold: (id, options) => {
        calls.push('readStreamForFold');
        return inner.readStream(id, options);
      },
    };
    return { store, calls };
  }

  test('a stream whose events need no upcaster is folded from the lean read alone', async () => {
    const { store, calls } = spiedStore();
    await store.appendToStream('wallet-1', [{ type: 'WalletFunded', data: { cents: 5 } }]);
    const upcasters = defineUpcasters([{ type: 'WalletFunded', fromVersion: 1, upcast: (d) => d }]);
    // v2 written: the stored event is current, so no upcaster applies.
    await store.appendToStream('wallet-2', [{ type: 'WalletFunded', schemaVersion: 2, data: { cents: 7 } }]);
    expect(await loadAggregate(store, 'wallet-2', wallet, { upcasters })).toMatchObject({ version: 1, state: { cents: 7 } });
    expect(await loadAggregate(store, 'wallet-1', wallet)).toMatchObject({ version: 1, state: { cents: 5 } });
    expect(calls).toEqual(['readStreamForFold', 'readStreamForFold']);
  });

  test('a stream holding an old version is read in full, so the upcaster sees the whole recorded event', async () => {
    const { store, calls } = spiedStore();
    await store.appendToStream('wallet-1', [
      { type: 'WalletFunded', schemaVersion: 1, data: { cents: 5 } },
      { type: 'WalletFunded', schemaVersion: 2, data: { cents: 7 } },
    ]);
    const upcasters = defineUpcasters([
      { type: 'WalletFunded', fromVersion: 1, upcast: (data, event) => ({ ...(data as object), at: event.occurredAt.toISOString() }) },
    ]);
    const loaded = await loadAggregate(store, 'wallet-1', wallet, { upcasters });
    expect(loaded).toMatchObject({ version: 2, state: { cents: 12, at: ['2026-05-01T00:00:00.000Z'] } });
    expect(calls).toEqual(['readStreamForFold', 'readStream']);
  });

  test('a renamed type is lifted even though its old name has no newer version', async () => {
    const { store } = spiedStore();
    await store.appendToStream('wallet-1', [{ type: 'PurseFilled', data: { cents: 3 } }]);
    const upcasters = defineUpcasters([{ type: 'PurseFilled', fromVersion: 1, renameTo: 'WalletFunded', upcast: (d) => d }]);
    expect((await loadAggregate(store, 'wallet-1', wallet, { upcasters })).state).toEqual({ cents: 3, types: ['WalletFunded'], at: [] });
  });

  test('a hand-written registry without needsUpcast, and a store wrapped withUpcasting, are always lifted', async () => {
    const { store, calls } = spiedStore();
    await store.appendToStream('wallet-1', [{ type: 'WalletFunded', schemaVersion: 1, data: { cents: 5 } }]);
    const double: UpcasterRegistry = {
      currentVersion: () => 2,
      upcast: (event) => (event.schemaVersion === 1 ? { ...event, schemaVersion: 2, data: { cents: (event.data as { cents: number }).cents * 2 } } : event),
    };
    expect((await loadAggregate(store, 'wallet-1', wallet, { upcasters: double })).state.cents).toBe(10);
    expect(calls).toEqual(['readStream']);
    const wrapped = withUpcasting(store, defineUpcasters([{ type: 'WalletFunded', fromVersion: 1, upcast: () => ({ cents: 100 }) }]));
    expect((await loadAggregate(wrapped, 'wallet-1', wallet)).state.cents).toBe(100);
  });
});
