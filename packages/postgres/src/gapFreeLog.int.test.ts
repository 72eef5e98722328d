/**
 * Invariant 2 on PostgreSQL: the global log never skips a committed event, even when transactions
 * commit in another order than their positions were assigned.
 */
import { type RecordedEvent, uuidv7 } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from './createPostgresEventStore.js';
import { createTestPostgresStore } from './testing/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
  return Date.now() - started;
}

class Rollback extends Error {}

/** Starts a transaction that appends one event and then waits for `finish` before committing or rolling back. */
function openTransaction(store: PostgresEventStore, streamId: string) {
  let finish!: (outcome: 'commit' | 'rollback') => void;
  const decided = new Promise<'commit' | 'rollback'>((r) => {
    finish = r;
  });
  let markAppended!: () => void;
  const appended = new Promise<void>((r) => {
    markAppended = r;
  });
  const done = store
    .transaction(async (tx) => {
      await tx.appendToStream(streamId, [{ type: 'ThingHappened', data: { by: 'A' } }]);
      markAppended();
      if ((await decided) === 'rollback') throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return { appended, finish, done };
}

describe('PostgreSQL global log ordering', () => {
  let store: PostgresEventStore;
  afterEach(async () => {
    await store?.close();
  });

  it('holds back a later commit while an earlier transaction is open, then delivers both in order', async () => {
    store = await createTestPostgresStore();
    const a = openTransaction(store, 'stream-a');
    await a.appended;
    await store.appendToStream('stream-b', [{ type: 'ThingHappened', data: { by: 'B' } }]);
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({ pollIntervalMs: 20, handler: (e) => void received.push(e) });
    await sleep(1000);
    expect(received).toEqual([]);
    expect(await store.readAll()).toEqual([]);
    a.finish('commit');
    await a.done;
    await until(() => received.length === 2, 5000);
    expect(received.map((e) => (e.data as { by: string }).by)).toEqual(['A', 'B']);
    expect(received[0]?.globalPosition).toBeLessThan(received[1]?.globalPosition as bigint);
    await subscription.stop();
  });

  it('delivers the later commit within 5 s when the earlier transaction rolls back', async () => {
    store = await createTestPostgresStore();
    const a = openTransaction(store, 'stream-a');
    await a.appended;
    await store.appendToStream('stream-b', [{ type: 'ThingHappened', data: { by: 'B' } }]);
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({ pollIntervalMs: 100, handler: (e) => void received.push(e) });
    await sleep(500);
    expect(received).toEqual([]);
    a.finish('rollback');
    await a.done;
    const waited = await until(() => received.length === 1, 5000);
    expect(waited).toBeLessThan(5000);
    expect(received.map((e) => (e.data as { by: string }).by)).toEqual(['B']);
    await sleep(200);
    expect(received).toHaveLength(1);
    await subscription.stop();
  });

  it('torture: 8 writers x 2,000 appends with random commit delays and 10% rollbacks — received = committed, in order; a naive reader misses events', async () => {
    store = await createTestPostgresStore({ maxConnections: 12 });
    const WRITERS = 8;
    const APPENDS = 2000;
    const committed = new Set<string>();
    let rolledBack = 0;
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({ pollIntervalMs: 20, batchSize: 1000, handler: (e) => void received.push(e) });

    // Negative control: "position > last seen" without the transaction-id/xmin rule.
    const naiveSeen = new Set<string>();
    let naiveStop = false;
    const naive = (async () => {
      let last = '0';
      while (!naiveStop) {
        const { rows } = await store.pool.query<{ global_position: string; event_id: string }>(
          `SELECT global_position::text AS global_position, event_id FROM "${store.schema}".events WHERE global_position > $1 ORDER BY global_position LIMIT 1000`,
          [last],
        );
        for (const row of rows) naiveSeen.add(row.event_id);
        if (rows.length > 0) last = rows[rows.length - 1]?.global_position as string;
        else await sleep(2);
      }
    })();

    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < APPENDS; i++) {
        const streamId = `torture-${w}-${i % 3}`;
        const rollback = Math.random() < 0.1;
        const delay = Math.random() * 50;
        try {
          const eventId = uuidv7();
          await store.transaction(async (tx) => {
            await tx.appendToStream(streamId, [{ type: 'TortureAppended', data: { w, i }, eventId }]);
            await sleep(delay);
            if (rollback) throw new Rollback();
          });
          committed.add(eventId);
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
          rolledBack += 1;
        }
      }
    });
    await Promise.all(writers);
    await until(() => received.length >= committed.size, 30_000);
    await sleep(300);
    naiveStop = true;
    await naive;
    await subscription.stop();

    const receivedIds = received.map((e) => e.eventId);
    const receivedSet = new Set(receivedIds);
    expect(receivedSet.size).toBe(receivedIds.length); // 0 duplicated
    expect(receivedIds.filter((id) => !committed.has(id))).toEqual([]); // nothing that was rolled back
    expect([...committed].filter((id) => !receivedSet.has(id))).toEqual([]); // 0 missing
    expect(received.length).toBe(WRITERS * APPENDS - rolledBack);
    expect(rolledBack).toBeGreaterThan(0);
    // Per-stream order: each stream's versions arrive as 1, 2, 3, … without a hole.
    const lastVersion = new Map<string, number>();
    for (const e of received) {
      expect(e.streamPosition).toBe((lastVersion.get(e.streamId) ?? 0) + 1);
      lastVersion.set(e.streamId, e.streamPosition);
    }
    for (let i = 1; i < received.length; i++) expect(received[i]?.globalPosition).toBeGreaterThan(received[i - 1]?.globalPosition as bigint);
    // The naive reader skipped events that committed after a higher position had been read.
    const naiveMissed = [...committed].filter((id) => !naiveSeen.has(id)).length;
    expect(naiveMissed).toBeGreaterThan(0);
    console.log(`torture: committed ${committed.size}, rolled back ${rolledBack}, received ${received.length}, naive reader missed ${naiveMissed}`);
  }, 600_000);

  it('does not wait for running transactions that cannot append (a projection batch, a raw transaction elsewhere), but waits for a declared one', async () => {
    store = await createTestPostgresStore();
    const raw = await store.pool.connect();
    try {
      // A transaction with a transaction id that never touches the events table, left open.
      await raw.query('BEGIN');
      await raw.query(`INSERT INTO "${store.schema}".checkpoints (name, position) VALUES ('unrelated', 1)`);
      let releaseProjection!: () => void;
      const projectionOpen = new Promise<void>((r) => {
        releaseProjection = r;
      });
      let projectionStarted!: () => void;
      const started = new Promise<void>((r) => {
        projectionStarted = r;
      });
      const projection = store.transaction(
        async (tx) => {
          await tx.storeCheckpoint('a-projection', 1n);
          projectionStarted();
          await projectionOpen;
        },
        { appends: false },
      );
      await started;
      await store.appendToStream('stream-a', [{ type: 'ThingHappened', data: { by: 'A' } }]);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['stream-a']);
      // A transaction that may append holds the log back from the moment it began, even before it appends.
      const declared = openTransaction(store, 'stream-c');
      await declared.appended;
      await store.appendToStream('stream-b', [{ type: 'ThingHappened', data: { by: 'B' } }]);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['stream-a']);
      declared.finish('commit');
      await declared.done;
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['stream-a', 'stream-c', 'stream-b']);
      releaseProjection();
      await projection;
      await expect(
        store.transaction(async (tx) => tx.appendToStream('stream-d', [{ type: 'ThingHappened', data: {} }]), { appends: false }),
      ).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    } finally {
      await raw.query('ROLLBACK');
      raw.release();
    }
  });

  it('torture: 8 pooled writers x 500 single-statement appends beside non-appending transactions held open at random — received = appended, in order', async () => {
    store = await createTestPostgresStore({ maxConnections: 16 });
    const received: RecordedEvent[] = [];
    const subscription = store.subscribe({ pollIntervalMs: 5, batchSize: 1000, handler: (e) => void received.push(e) });
    let stop = false;
    const bystanders = Array.from({ length: 3 }, async (_, b) => {
      for (let i = 0; !stop; i++) {
        await store.transaction(
          async (tx) => {
            await tx.storeCheckpoint(`bystander-${b}`, BigInt(i + 1));
            await sleep(Math.random() * 30);
          },
          { appends: false },
        );
      }
    });
    const appended = new Set<string>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 500; i++) {
          const eventId = uuidv7();
          await store.appendToStream(`pooled-${w}-${i % 3}`, [{ type: 'TortureAppended', data: { w, i }, eventId }]);
          appended.add(eventId);
        }
      }),
    );
    try {
      await until(() => received.length >= appended.size, 30_000);
    } finally {
      stop = true;
      await Promise.all(bystanders);
    }
    await sleep(100);
    await subscription.stop();
    const ids = received.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...appended].filter((id) => !ids.includes(id))).toEqual([]);
    expect(received).toHaveLength(appended.size);
    for (let i = 1; i < received.length; i++) expect(received[i]?.globalPosition).toBeGreaterThan(received[i - 1]?.globalPosition as bigint);
    const lastVersion = new Map<string, number>();
    for (const e of received) {
      expect(e.streamPosition).toBe((lastVersion.get(e.streamId) ?? 0) + 1);
      lastVersion.set(e.streamId, e.streamPosition);
    }
  }, 300_000);
});
