import { createInMemoryTransport, createManualClock, createRelay, defineBinding, type GlobalPosition } from '@eventfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { createTestPostgresStore } from '../testing/index.js';
import { createPostgresRelayLease } from './createPostgresRelayLease.js';

const opened: PostgresEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

describe('createPostgresRelayLease (PostgreSQL)', () => {
  it('grants the lease to one owner at a time, until it expires or is released', async () => {
    const store = await createTestPostgresStore();
    opened.push(store);
    const clock = createManualClock(10_000);
    const [a, b] = await Promise.all([createPostgresRelayLease({ store, clock }), createPostgresRelayLease({ store, clock })]);
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).tryAcquire('relay', `owner-${i}`, 1_000)));
    expect(racers.filter(Boolean), 'one of six concurrent takers wins').toHaveLength(1);
    const winner = `owner-${racers.indexOf(true)}`;
    expect(await a.tryAcquire('relay', winner, 1_000)).toBe(true);
    clock.advance(999);
    expect(await b.tryAcquire('relay', 'late', 1_000)).toBe(false);
    clock.advance(1);
    expect(await b.tryAcquire('relay', 'late', 1_000)).toBe(true);
    expect(await a.tryAcquire('relay', winner, 1_000)).toBe(false);
    await a.release('relay', winner);
    expect(await a.tryAcquire('relay', winner, 1_000)).toBe(false);
    await b.release('relay', 'late');
    expect(await a.tryAcquire('relay', winner, 1_000)).toBe(true);
  });

  it('two relays on one database: all events published once, disjoint ranges, the standby takes over', async () => {
    const store = await createTestPostgresStore();
    opened.push(store);
    const transport = createInMemoryTransport();
    const binding = defineBinding('out', { binder: 'memory', destination: 'orders', group: 'audit' });
    const received: string[] = [];
    await transport.subscribe(binding, (m) => void received.push(m.id));
    const ranges: Array<{ owner: string; from: GlobalPosition; to: GlobalPosition }> = [];
    const relays = await Promise.all(
      ['a', 'b'].map(async (owner) =>
        createRelay({
          name: 'orders-relay',
          owner,
          store,
          transport,
          lease: await createPostgresRelayLease({ store }),
          routes: [{ binding }],
          batchSize: 40,
          pollIntervalMs: 10,
          leaseTtlMs: 3_000,
          onPublished: ({ from, to }) => ranges.push({ owner, from, to }),
        }),
      ),
    );
    const running = relays.map((r) => r.start());
    const append = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = from + lane; i < to; i += 4) await store.appendToStream(`order-${i % 9}`, [{ type: 'OrderPlaced', data: { i } }]);
        }),
      );
    const waitFor = async (count: number) => {
      for (let tries = 0; tries < 1_000 && new Set(received).size < count; tries += 1) await new Promise((r) => setTimeout(r, 10));
    };
    await append(0, 200);
    await waitFor(200);
    const leader = relays.find((r) => r.leader);
    expect(leader).toBeDefined();
    await leader!.stop();
    await append(200, 300);
    await waitFor(300);
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(running);
    const all = await store.readAll({ maxCount: 1_000 });
    expect(new Set(received)).toEqual(new Set(all.map((e) => e.eventId)));
    expect(received, 'no event published twice').toHaveLength(300);
    const sorted = [...ranges].sort((x, y) => (x.from < y.from ? -1 : 1));
    for (let i = 1; i < sorted.length; i += 1) expect(sorted[i]!.from, 'ranges are contiguous and disjoint').toBe(sorted[i - 1]!.to);
    expect(new Set(ranges.map((r) => r.owner)).size).toBe(2);
    expect(await store.checkpoints.load('orders-relay')).toBe(await store.headPosition());
  });
});
