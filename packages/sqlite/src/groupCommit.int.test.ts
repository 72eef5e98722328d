/**
 * Group commit and the recent-events cache of the SQLite store: appends of one turn share a
 * transaction yet keep their own outcome, and `readAll` served from memory equals what the file holds,
 * also when another connection wrote in between.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurrencyError } from '@eventfold/core';
import { afterEach, describe, expect, test } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from './createSqliteEventStore.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function openPair(): [SqliteEventStore, SqliteEventStore] {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-group-commit-'));
  const path = join(dir, 'events.db');
  const a = createSqliteEventStore({ path });
  const b = createSqliteEventStore({ path });
  cleanups.push(() => {
    void a.close();
    void b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return [a, b];
}

const event = (n: number) => ({ type: 'Counted', data: { n } });

describe('SQLite group commit', () => {
  test('appends of one turn keep their own outcome: one winner per expected version, bad input fails alone', async () => {
    const [store] = openPair();
    const results = await Promise.allSettled([
      store.appendToStream('s-1', [event(1)], { expectedVersion: 'no_stream' }),
      store.appendToStream('s-1', [event(2)], { expectedVersion: 'no_stream' }),
      store.appendToStream('s-2', [event(3), event(4)], { expectedVersion: 'no_stream' }),
      store.appendToStream('s-3', [{ type: '', data: {} }]),
      store.appendToStream('s-4', [event(5)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    expect(results[2]).toMatchObject({ value: { nextExpectedVersion: 2, globalPosition: 3n } });
    expect((await store.readAll()).map((e) => [e.streamId, e.streamPosition, e.globalPosition])).toEqual([
      ['s-1', 1, 1n],
      ['s-2', 1, 2n],
      ['s-2', 2, 3n],
      ['s-4', 1, 4n],
    ]);
  });

  test('an append retried with the same event ids in the same turn is stored once', async () => {
    const [store] = openPair();
    const eventId = '0190a5c4-1c6b-7000-8000-000000000001';
    const [first, second] = await Promise.all([store.appendToStream('s', [{ ...event(1), eventId }]), store.appendToStream('s', [{ ...event(1), eventId }])]);
    expect(first).toMatchObject({ alreadyStored: false, globalPosition: 1n });
    expect(second).toMatchObject({ alreadyStored: true, globalPosition: 1n });
    expect(await store.readAll()).toHaveLength(1);
  });

  test('write() runs in the shared transaction; when it throws only its own writes are undone', async () => {
    const [store] = openPair();
    store.db.exec('CREATE TABLE notes (text TEXT NOT NULL)');
    const insert = store.db.prepare('INSERT INTO notes (text) VALUES (?)');
    const outcomes = await Promise.allSettled([
      store.write(() => insert.run('kept')),
      store.write(() => {
        insert.run('undone');
        throw new Error('changed my mind');
      }),
      store.appendToStream('s', [event(1)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.db.prepare('SELECT text FROM notes').pluck().all()).toEqual(['kept']);
    expect(await store.readAll()).toHaveLength(1);
  });

  test('readAll from memory equals the file, also when another connection appends in between', async () => {
    const [a, b] = openPair();
    let n = 0;
    for (let round = 0; round < 20; round++) {
      await Promise.all([a.appendToStream(`a-${round % 3}`, [event(n++), event(n++)]), a.appendToStream(`x-${round}`, [event(n++)])]);
      if (round % 4 === 1) await b.appendToStream(`b-${round}`, [event(n++)]);
      if (round % 5 === 2) b.transaction((tx) => tx.appendToStream(`t-${round}`, [event(n++)]));
    }
    const fromFile = await createSqliteEventStore({ path: a.db.name, recentEvents: 0 }).readAll({ maxCount: 10_000 });
    expect(fromFile).toHaveLength(n);
    for (const after of [0n, 1n, 7n, 30n, BigInt(n - 1)]) {
      for (const maxCount of [1, 5, 1000]) {
        const expected = fromFile.filter((e) => e.globalPosition > after).slice(0, maxCount);
        expect(await a.readAll({ after, maxCount }), `after ${after}, max ${maxCount}`).toEqual(expected);
      }
    }
    // Page through from the start, as a relay does.
    const paged = [];
    for (let after = 0n; ; ) {
      const page = await a.readAll({ after, maxCount: 7 });
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1]?.globalPosition ?? after;
    }
    expect(paged).toEqual(fromFile);
  });
});
