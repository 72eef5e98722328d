import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryTransport, createManualClock, createRelay, defineBinding, type GlobalPosition, isEventfoldError } from '@eventfold/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../createSqliteEventStore.js';
import { createSqliteRelayLease } from './createSqliteRelayLease.js';

const dir = mkdtempSync(join(tmpdir(), 'eventfold-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const opened: SqliteEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
const open = (path: string) => {
  const store = createSqliteEventStore({ path });
  opened.push(store);
  return store;
};

describe('createSqliteRelayLease (SQLite file)', () => {
  it('grants the lease to one owner at a time across connections, until it expires or is released', async () => {
    const path = join(dir, `lease-${++n}.db`);
    const clock = createManualClock(10_000);
    const a = createSqliteRelayLease({ database: open(path).db, clock });
    const b = createSqliteRelayLease({ database: open(path).db, clock });
    expect(await a.tryAcquire('relay', 'a', 1_000)).toBe(true);
    expect(await b.tryAcquire('relay', 'b', 1_000)).toBe(false);
    clock.advance(900);
    expect(await a.tryAcquire('relay', 'a', 1_000)).toBe(true); // renewed until 11,900
    clock.advance(900);
    expect(await b.tryAcquire('relay', 'b', 1_000)).toBe(false);
    clock.advance(101);
    expect(await b.tryAcquire('relay', 'b', 1_000)).toBe(true); // a stopped renewing
    expect(await a.tryAcquire('relay', 'a', 1_000)).toBe(false);
    await a.release('relay', 'a'); // not a's to release
    expect(await a.tryAcquire('relay', 'a', 1_000)).toBe(false);
    await b.release('relay', 'b');
    expect(await a.tryAcquire('relay', 'a', 1_000)).toBe(true);
    expect(await b.tryAcquire('other-relay', 'b', 1_000)).toBe(true);
    await expect(a.tryAcquire('relay', 'a', 0)).rejects.toSatisfy((e) => isEventfoldError(e, 'EVENTFOLD_INVALID_INPUT'));
  });

  it('two relays on one file: every event published, no range published by both, checkpoint at the head', async () => {
    const path = join(dir, `relay-${++n}.db`);
    const writer = open(path);
    const transport = createInMemoryTransport();
    const binding = defineBinding('out', { binder: 'memory', destination: 'orders', group: 'audit' });
    const received: string[] = [];
    await transport.subscribe(binding, (m) => void received.push(m.id));
    const ranges: Array<{ owner: string; from: GlobalPosition; to: GlobalPosition }> = [];
    const relays = ['a', 'b'].map((owner) => {
      const store = open(path);
      return createRelay({
        name: 'orders-relay',
        owner,
        store,
        transport,
        lease: createSqliteRelayLease({ database: store.db }),
        routes: [{ binding }],
        batchSize: 25,
        pollIntervalMs: 5,
        leaseTtlMs: 2_000,
        onPublished: ({ from, to }) => ranges.push({ owner, from, to }),
      });
    });
    const running = relays.map((r) => r.start());
    for (let i = 0; i < 300; i += 1) await writer.appendToStream(`order-${i % 7}`, [{ type: 'OrderPlaced', data: { i } }]);
    const ids = (await writer.readAll({ maxCount: 1_000 })).map((e) => e.eventId);
    for (let tries = 0; tries < 500 && new Set(received).size < 300; tries += 1) await new Promise((r) => setTimeout(r, 10));
    // Hand over: the leader stops and releases; the standby must finish the rest.
    const leaderIndex = relays.findIndex((r) => r.leader);
    expect(leaderIndex).toBeGreaterThanOrEqual(0);
    await relays[leaderIndex]!.stop();
    for (let i = 300; i < 400; i += 1) await writer.appendToStream(`order-${i % 7}`, [{ type: 'OrderPlaced', data: { i } }]);
    const allIds = (await writer.readAll({ maxCount: 1_000 })).map((e) => e.eventId);
    for (let tries = 0; tries < 500 && new Set(received).size < 400; tries += 1) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(running);
    expect(ids).toHaveLength(300);
    expect(new Set(received)).toEqual(new Set(allIds));
    expect(received, 'no event published twice').toHaveLength(400);
    const sorted = [...ranges].sort((x, y) => (x.from < y.from ? -1 : 1));
    for (let i = 1; i < sorted.length; i += 1) expect(sorted[i]!.from, 'ranges are contiguous and disjoint').toBe(sorted[i - 1]!.to);
    expect(new Set(ranges.map((r) => r.owner)).size, 'the standby took over').toBe(2);
    expect(await writer.checkpoints.load('orders-relay')).toBe(await writer.headPosition());
  });
});
