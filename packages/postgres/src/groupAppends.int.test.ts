/**
 * Group commit of pooled appends (internal/appendBatcher.ts): appends started together share one
 * statement and one commit, yet each keeps its own expectation, result and errors.
 */
import { ConcurrencyError, DuplicateEventError, uuidv7 } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from './createPostgresEventStore.js';
import { decodePosition } from './internal/position.js';
import { createTestPostgresStore } from './testing/index.js';

describe('grouped appends', () => {
  let store: PostgresEventStore;
  afterEach(async () => {
    await store?.close();
  });

  it('appends started in one turn commit together, each with its own version and position', async () => {
    store = await createTestPostgresStore();
    let wakes = 0;
    store.onAppend(() => {
      wakes += 1;
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.appendToStream(
          `s-${i}`,
          [
            { type: 'A', data: { i } },
            { type: 'B', data: { i } },
          ],
          { expectedVersion: 'no_stream' },
        ),
      ),
    );
    expect(results.map((r) => r.nextExpectedVersion)).toEqual(Array(10).fill(2));
    expect(new Set(results.map((r) => decodePosition(r.globalPosition).transactionId)).size).toBe(1);
    expect(wakes).toBe(1);
    const log = await store.readAll();
    expect(log).toHaveLength(20);
    // Each append's events are adjacent and in order; the result points at its last event.
    for (const [i, result] of results.entries()) {
      const own = log.filter((e) => e.streamId === `s-${i}`);
      expect(own.map((e) => [e.type, e.streamPosition])).toEqual([
        ['A', 1],
        ['B', 2],
      ]);
      expect(own[1]?.globalPosition).toBe(result.globalPosition);
    }
  });

  it('a failed expectation, a stored-before batch, a duplicate id and a same-stream pair in one turn each get their own answer', async () => {
    store = await createTestPostgresStore();
    const replayId = uuidv7();
    const takenId = uuidv7();
    await store.appendToStream('replayed', [{ type: 'A', data: {}, eventId: replayId }]);
    await store.appendToStream('taken', [{ type: 'A', data: {}, eventId: takenId }]);
    await store.appendToStream('versioned', [{ type: 'A', data: {} }]);
    const outcomes = await Promise.allSettled([
      store.appendToStream('fresh-1', [{ type: 'A', data: {} }]),
      store.appendToStream('versioned', [{ type: 'A', data: {} }], { expectedVersion: 5 }),
      store.appendToStream('replayed', [{ type: 'A', data: {}, eventId: replayId }]),
      store.appendToStream('elsewhere', [{ type: 'A', data: {}, eventId: takenId }]),
      store.appendToStream('pair', [{ type: 'A', data: { n: 1 } }]),
      store.appendToStream('pair', [{ type: 'A', data: { n: 2 } }]),
      store.appendToStream('fresh-2', [{ type: 'A', data: {} }], { expectedVersion: 'no_stream' }),
    ]);
    const [fresh1, versioned, replayed, elsewhere, pairA, pairB, fresh2] = outcomes;
    expect(fresh1).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1, alreadyStored: false } });
    expect(versioned).toMatchObject({ status: 'rejected' });
    expect((versioned as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(replayed).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1, alreadyStored: true } });
    expect((elsewhere as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventError);
    expect(fresh2).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1 } });
    expect([pairA, pairB].map((o) => (o as PromiseFulfilledResult<{ nextExpectedVersion: number }>).value.nextExpectedVersion).sort()).toEqual([1, 2]);
    // Per stream (readStream has no horizon: what committed is there; the global log may lag a moment).
    expect((await store.readStream('pair')).map((e) => e.streamPosition)).toEqual([1, 2]);
    expect(await store.readStream('versioned')).toHaveLength(1);
    expect(await store.readStream('elsewhere')).toHaveLength(0);
    expect((await store.readStream('replayed')).filter((e) => e.eventId === replayId)).toHaveLength(1);
  });

  it('groupAppends: false writes each append on its own', async () => {
    store = await createTestPostgresStore({ groupAppends: false });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => store.appendToStream(`s-${i}`, [{ type: 'A', data: {} }])));
    expect(new Set(results.map((r) => decodePosition(r.globalPosition).transactionId)).size).toBe(4);
  });
});
