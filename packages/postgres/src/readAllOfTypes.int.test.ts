/**
 * `readAllOfTypes`: the log filtered by type in the database, in log order, behind the same horizon as
 * `readAll`, with `scannedTo` telling how far nothing else of those types can appear.
 */
import { START } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from './createPostgresEventStore.js';
import { createTestPostgresStore } from './testing/index.js';

describe('readAllOfTypes', () => {
  let store: PostgresEventStore;
  afterEach(async () => {
    await store?.close();
  });

  it('returns only the listed types in log order, and scannedTo reaches past the events it skipped', async () => {
    store = await createTestPostgresStore();
    await store.appendToStream('a-1', [
      { type: 'Wanted', data: { n: 1 } },
      { type: 'Other', data: {} },
    ]);
    await store.appendToStream('b-1', [{ type: 'Other', data: {} }]);
    await store.appendToStream('a-1', [{ type: 'AlsoWanted', data: { n: 2 } }]);
    await store.appendToStream('b-1', [{ type: 'Other', data: {} }]);
    const all = await store.readAll();
    const head = all[all.length - 1]?.globalPosition as bigint;

    const read = await store.readAllOfTypes({ types: ['Wanted', 'AlsoWanted'] });
    expect(read.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(read.events).toEqual(all.filter((e) => e.type !== 'Other'));
    expect(read.scannedTo).toBe(head);

    // A full page ends the scan at its last event.
    const page = await store.readAllOfTypes({ types: ['Wanted', 'AlsoWanted'], maxCount: 1 });
    expect(page.events.map((e) => e.data)).toEqual([{ n: 1 }]);
    expect(page.scannedTo).toBe(page.events[0]?.globalPosition);

    // Nothing of the type: the whole log was examined; nothing at all after the head: scannedTo stays.
    expect(await store.readAllOfTypes({ types: ['Missing'] })).toEqual({ events: [], scannedTo: head });
    expect(await store.readAllOfTypes({ after: head, types: ['Wanted'] })).toEqual({ events: [], scannedTo: head });

    // Reading on from scannedTo finds what comes later.
    await store.appendToStream('a-1', [{ type: 'Wanted', data: { n: 3 } }]);
    const next = await store.readAllOfTypes({ after: read.scannedTo, types: ['Wanted'] });
    expect(next.events.map((e) => e.data)).toEqual([{ n: 3 }]);
  });

  it('scannedTo stays below an open transaction that may still append (the same horizon as readAll)', async () => {
    store = await createTestPostgresStore();
    expect(await store.readAllOfTypes({ types: ['Wanted'] })).toEqual({ events: [], scannedTo: START });
    let commit!: () => void;
    const decided = new Promise<void>((r) => {
      commit = r;
    });
    let appended!: () => void;
    const inside = new Promise<void>((r) => {
      appended = r;
    });
    const open = store.transaction(async (tx) => {
      await tx.appendToStream('a-1', [{ type: 'Wanted', data: { n: 1 } }]);
      appended();
      await decided;
    });
    await inside;
    await store.appendToStream('b-1', [{ type: 'Other', data: {} }]);
    // The later commit is hidden behind the open writer: nothing was examined yet.
    expect(await store.readAllOfTypes({ types: ['Wanted'] })).toEqual({ events: [], scannedTo: START });
    commit();
    await open;
    const read = await store.readAllOfTypes({ types: ['Wanted'] });
    expect(read.events.map((e) => e.data)).toEqual([{ n: 1 }]);
    const all = await store.readAll();
    expect(read.scannedTo).toBe(all[all.length - 1]?.globalPosition);
  });

  it('refuses a types list that is not an array of names', async () => {
    store = await createTestPostgresStore();
    await expect(store.readAllOfTypes({ types: 'Wanted' as unknown as string[] })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT', path: 'types' });
  });
});
