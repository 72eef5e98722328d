import { describe, expect, test } from 'vitest';
import { ConcurrencyError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createRepository } from './createRepository.js';
import { defineSnapshotPolicy } from './snapshotPolicy.js';
import { counterDecider } from './testDeciders.js';

const add = (amount: number) => ({ type: 'AddToCounter' as const, data: { amount } });

/** `inner`, with `before(streamId)` run ahead of each of its appends. */
function beforeEachAppend(inner: EventStore, before: (streamId: string) => Promise<void> | void): EventStore {
  return Object.setPrototypeOf(
    {
      async appendToStream(...args: Parameters<EventStore['appendToStream']>) {
        await before(args[0]);
        return inner.appendToStream(...args);
      },
    },
    inner,
  );
}

describe('createRepository', () => {
  test('load → decide → append; the result carries the new version and global position', async () => {
    const store = createInMemoryEventStore();
    const counters = createRepository({ store, decider: counterDecider });
    await createRepository({ store, decider: counterDecider, streamId: (id) => `other-${id}` }).handle('x', add(1));
    const first = await counters.handle('c1', add(5));
    expect(first).toMatchObject({ nextExpectedVersion: 1, globalPosition: 2n, attempts: 1, state: { total: 5 } });
    const second = await counters.handle('c1', add(2));
    expect(second).toMatchObject({ nextExpectedVersion: 2, globalPosition: 3n, state: { total: 7, amounts: [5, 2] } });
    expect((await store.readStream('counter-c1')).map((e) => e.data)).toEqual([{ amount: 5 }, { amount: 2 }]);
  });

  test('a command that decides nothing appends nothing', async () => {
    const store = createInMemoryEventStore();
    const counters = createRepository({ store, decider: counterDecider });
    const result = await counters.handle('c1', { type: 'NoOp', data: null });
    expect(result).toMatchObject({ events: [], nextExpectedVersion: 0, globalPosition: undefined });
    expect(await store.headPosition()).toBe(0n);
  });

  test('a concurrency conflict reloads, decides again and retries', async () => {
    const inner = createInMemoryEventStore();
    let interfere = 2;
    // A writer that sneaks an event in just before each of our first two appends.
    const store = beforeEachAppend(inner, async (streamId) => {
      if (interfere-- > 0) await inner.appendToStream(streamId, [{ type: 'CounterAdded', data: { amount: 100 } }]);
    });
    const counters = createRepository({ store, decider: counterDecider, maxAttempts: 3 });
    const result = await counters.handle('c1', add(1));
    expect(result.attempts).toBe(3);
    expect(result.state).toEqual({ total: 201, amounts: [100, 100, 1] });
    interfere = 5;
    await expect(createRepository({ store, decider: counterDecider, maxAttempts: 2 }).handle('c1', add(1))).rejects.toBeInstanceOf(ConcurrencyError);
  });

  test('assumeNew decides on the initial state unread; an existing stream is refused, loaded and decided again', async () => {
    const inner = createInMemoryEventStore();
    let reads = 0;
    const store: EventStore = Object.setPrototypeOf(
      {
        async readStream(...args: Parameters<EventStore['readStream']>) {
          reads++;
          return inner.readStream(...args);
        },
        async readStreamForFold(...args: Parameters<NonNullable<EventStore['readStreamForFold']>>) {
          reads++;
          return inner.readStreamForFold?.(...args) ?? [];
        },
      },
      inner,
    );
    const counters = createRepository({ store, decider: counterDecider, maxAttempts: 1 });
    const created = await counters.handle('c1', add(5), { assumeNew: true });
    expect(created).toMatchObject({ attempts: 1, nextExpectedVersion: 1, state: { total: 5 } });
    expect(reads).toBe(0);
    // The stream exists now: the assumption fails once (even with maxAttempts 1), the retry loads.
    const again = await counters.handle('c1', add(2), { assumeNew: true });
    expect(again).toMatchObject({ attempts: 2, nextExpectedVersion: 2, state: { total: 7, amounts: [5, 2] } });
    expect(reads).toBeGreaterThan(0);
    // A command that decides nothing on the assumed state is decided on the stream.
    const noOp = await counters.handle('c1', { type: 'NoOp', data: null }, { assumeNew: true });
    expect(noOp).toMatchObject({ events: [], nextExpectedVersion: 2, state: { total: 7 } });
    expect((await inner.readStream('counter-c1')).map((e) => e.data)).toEqual([{ amount: 5 }, { amount: 2 }]);
  });

  test('an explicit expectedVersion is enforced without retry', async () => {
    const store = createInMemoryEventStore();
    const counters = createRepository({ store, decider: counterDecider });
    await counters.handle('c1', add(1));
    await expect(counters.handle('c1', add(1), { expectedVersion: 0 })).rejects.toMatchObject({ code: 'EVENTFOLD_CONCURRENCY' });
    await expect(counters.handle('c1', add(1), { expectedVersion: 1 })).resolves.toMatchObject({ nextExpectedVersion: 2 });
  });

  test('snapshots every N events, loads from the snapshot and gives the same state', async () => {
    const store = createInMemoryEventStore();
    const snapshots = defineSnapshotPolicy<{ total: number; amounts: number[] }>({ everyEvents: 10, stateVersion: 1 });
    const counters = createRepository({ store, decider: counterDecider, snapshots });
    for (let i = 1; i <= 25; i++) await counters.handle('c1', add(i));
    expect(await store.snapshots.load('counter-c1')).toMatchObject({ streamVersion: 20, stateVersion: 1 });
    const loaded = await counters.load('c1');
    expect(loaded).toMatchObject({ version: 25, snapshotVersion: 20, replayed: 5 });
    const replayed = await createRepository({ store, decider: counterDecider }).load('c1');
    expect(loaded.state).toEqual(replayed.state);
  });

  test('a snapshot with a stale shape is ignored and the state rebuilt by replay', async () => {
    const store = createInMemoryEventStore();
    const counters = createRepository({ store, decider: counterDecider });
    for (let i = 1; i <= 5; i++) await counters.handle('c1', add(i));
    // Written by an older build whose state was a bare number: misreading it would lose `amounts`.
    await store.snapshots.save({ streamId: 'counter-c1', streamVersion: 5, stateVersion: 1, state: 15 });
    const v2 = defineSnapshotPolicy<{ total: number; amounts: number[] }>({ everyEvents: 3, stateVersion: 2 });
    const withV2 = createRepository({ store, decider: counterDecider, snapshots: v2 });
    const loaded = await withV2.load('c1');
    expect(loaded).toMatchObject({ snapshotVersion: 0, replayed: 5, state: { total: 15, amounts: [1, 2, 3, 4, 5] } });
    await withV2.handle('c1', add(6));
    expect(await store.snapshots.load('counter-c1')).toMatchObject({ streamVersion: 6, stateVersion: 2, state: { total: 21 } });
    expect(await withV2.load('c1')).toMatchObject({ snapshotVersion: 6, replayed: 0, state: { total: 21 } });
  });

  test('a snapshot predicate decides when to snapshot', async () => {
    const store = createInMemoryEventStore();
    const snapshots = defineSnapshotPolicy<{ total: number; amounts: number[] }>({ when: ({ state }) => state.total >= 100, stateVersion: 1 });
    const counters = createRepository({ store, decider: counterDecider, snapshots });
    await counters.handle('c1', add(50));
    expect(await store.snapshots.load('counter-c1')).toBeUndefined();
    await counters.handle('c1', add(60));
    expect(await store.snapshots.load('counter-c1')).toMatchObject({ streamVersion: 2, state: { total: 110 } });
  });

  describe('cacheSize: aggregates kept in memory between commands', () => {
    /** Counts the store's stream reads, so a test can tell a kept state from a load. */
    function countingStore() {
      const inner = createInMemoryEventStore();
      const reads = { count: 0 };
      const store: EventStore = Object.setPrototypeOf(
        {
          async readStream(...args: Parameters<EventStore['readStream']>) {
            reads.count++;
            return inner.readStream(...args);
          },
          readStreamForFold: undefined,
        },
        inner,
      );
      return { inner, store, reads };
    }

    test('a kept aggregate decides without reading its stream, and gives the same results', async () => {
      const { store, reads } = countingStore();
      const kept = createRepository({ store, decider: counterDecider, cacheSize: 10 });
      for (let i = 1; i <= 5; i++) await kept.handle('c1', add(i));
      expect(reads.count).toBe(1); // the first command's load only
      const replayed = await createRepository({ store, decider: counterDecider }).load('c1');
      expect((await kept.load('c1')).state).toEqual(replayed.state);
      expect(await kept.handle('c1', add(6))).toMatchObject({ nextExpectedVersion: 6, attempts: 1, state: { total: 21 } });
    });

    test('another writer moves the stream: the append conflicts, the entry is dropped and the retry decides on the stored state', async () => {
      const { inner, store } = countingStore();
      const kept = createRepository({ store, decider: counterDecider, cacheSize: 10 });
      await kept.handle('c1', add(1));
      await createRepository({ store: inner, decider: counterDecider }).handle('c1', add(100));
      const result = await kept.handle('c1', add(2));
      expect(result).toMatchObject({ attempts: 2, nextExpectedVersion: 3, state: { total: 103, amounts: [1, 100, 2] } });
      // With one attempt only, the stale entry surfaces as the conflict it is — and is gone afterwards.
      const once = createRepository({ store, decider: counterDecider, cacheSize: 10, maxAttempts: 1 });
      await once.handle('c2', add(1));
      await inner.appendToStream('counter-c2', [{ type: 'CounterAdded', data: { amount: 5 } }]);
      await expect(once.handle('c2', add(1))).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(once.handle('c2', add(1))).resolves.toMatchObject({ state: { total: 7 } });
    });

    test('load() folds in events another writer appended after the kept version', async () => {
      const { inner, store } = countingStore();
      const kept = createRepository({ store, decider: counterDecider, cacheSize: 10 });
      await kept.handle('c1', add(1));
      await inner.appendToStream('counter-c1', [{ type: 'CounterAdded', data: { amount: 10 } }]);
      expect(await kept.load('c1')).toMatchObject({ version: 2, state: { total: 11, amounts: [1, 10] } });
      expect(await kept.load('c1', { toVersion: 1 })).toMatchObject({ version: 1, state: { total: 1 } });
    });

    test('only the most recently used aggregates are kept', async () => {
      const { store, reads } = countingStore();
      const kept = createRepository({ store, decider: counterDecider, cacheSize: 2 });
      for (const id of ['a', 'b', 'c']) await kept.handle(id, add(1));
      reads.count = 0;
      await kept.handle('c', add(1));
      await kept.handle('b', add(1));
      expect(reads.count).toBe(0);
      await kept.handle('a', add(1)); // pushed out by c: loaded again
      expect(reads.count).toBe(1);
    });

    test('snapshots are still taken every N events', async () => {
      const store = createInMemoryEventStore();
      const snapshots = defineSnapshotPolicy<{ total: number; amounts: number[] }>({ everyEvents: 10, stateVersion: 1 });
      const kept = createRepository({ store, decider: counterDecider, snapshots, cacheSize: 5 });
      for (let i = 1; i <= 25; i++) await kept.handle('c1', add(i));
      expect(await store.snapshots.load('counter-c1')).toMatchObject({ streamVersion: 20 });
    });
  });

  test('bad options are typed errors that say what to fix', () => {
    const store = createInMemoryEventStore();
    expect(() => createRepository({ store, decider: counterDecider, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => createRepository({ store, decider: counterDecider, cacheSize: -1 })).toThrow(/cacheSize/);
    expect(() => defineSnapshotPolicy({ stateVersion: 1 })).toThrow(/everyEvents/);
    expect(() => defineSnapshotPolicy({ everyEvents: 10, stateVersion: 0 })).toThrow(/stateVersion/);
  });

  test('handleMany decides commands in order on one state and appends them in one append; a refused one settles with its error', async () => {
    const inner = createInMemoryEventStore();
    let appends = 0;
    const store = beforeEachAppend(inner, () => {
      appends++;
    });
    const counters = createRepository({ store, decider: counterDecider });
    await counters.handle('c1', add(1));
    appends = 0;
    const results = await counters.handleMany('c1', [
      { command: add(2), causationId: 'm-2', correlationId: 'c-2' },
      { command: add(0), causationId: 'm-0' },
      { command: { type: 'NoOp', data: null } },
      { command: add(3), causationId: 'm-3' },
    ]);
    expect(appends).toBe(1);
    expect(results[0]).toMatchObject({ ok: true, result: { nextExpectedVersion: 2, state: { total: 3, amounts: [1, 2] } } });
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'EVENTFOLD_COMMAND_REJECTED' } });
    expect(results[2]).toMatchObject({ ok: true, result: { events: [], nextExpectedVersion: 2, globalPosition: undefined } });
    expect(results[3]).toMatchObject({ ok: true, result: { nextExpectedVersion: 3, globalPosition: 3n, state: { total: 6, amounts: [1, 2, 3] } } });
    const stored = await inner.readStream('counter-c1');
    expect(stored.map((e) => [e.data, e.causationId, e.correlationId])).toEqual([
      [{ amount: 1 }, undefined, undefined],
      [{ amount: 2 }, 'm-2', 'c-2'],
      [{ amount: 3 }, 'm-3', undefined],
    ]);
  });

  test('handleMany decides everything again on the stored state after a concurrency conflict', async () => {
    const inner = createInMemoryEventStore();
    let interfere = 1;
    const store = beforeEachAppend(inner, async (streamId) => {
      if (interfere-- > 0) await inner.appendToStream(streamId, [{ type: 'CounterAdded', data: { amount: 100 } }]);
    });
    const counters = createRepository({ store, decider: counterDecider, cacheSize: 10 });
    const results = await counters.handleMany('c1', [{ command: add(1) }, { command: add(2) }]);
    expect(results.map((r) => r.ok && r.result.attempts)).toEqual([2, 2]);
    expect(results[1]).toMatchObject({ ok: true, result: { nextExpectedVersion: 3, state: { total: 103, amounts: [100, 1, 2] } } });
    interfere = 5;
    const failed = await createRepository({ store, decider: counterDecider, maxAttempts: 2 }).handleMany('c1', [{ command: add(1) }]);
    expect(failed[0]).toMatchObject({ ok: false, error: expect.any(ConcurrencyError) });
  });
});
