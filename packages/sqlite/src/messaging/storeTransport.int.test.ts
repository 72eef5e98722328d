/**
 * The store transport (embedded mode) on SQLite files: the conformance suite, and durability — a
 * consumer that dies mid-batch gets exactly its unacknowledged messages again from the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreTransport, defineBinding, encodeJsonMessage } from '@eventfold/core';
import { describeTransportConformance } from '@eventfold/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../createSqliteEventStore.js';

const dir = mkdtempSync(join(tmpdir(), 'eventfold-inproc-'));
const stores: SqliteEventStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const open = (path = join(dir, `t-${++n}.db`)) => {
  const store = createSqliteEventStore({ path });
  stores.push(store);
  return store;
};

describeTransportConformance('store transport on a SQLite file', {
  createTransport: async () => createStoreTransport({ store: open(), pollIntervalMs: 20 }),
  timeoutMs: 10_000,
  quietMs: 200,
});

describe('store transport durability (SQLite file)', () => {
  it('after a crash, a restarted consumer gets what was not acknowledged, and nothing that was', async () => {
    const path = join(dir, `crash-${++n}.db`);
    const binding = defineBinding('in', { binder: 'inproc', destination: 'orders', group: 'billing', consumer: { concurrency: 4 } });
    const first = createStoreTransport({ store: open(path), pollIntervalMs: 10 });
    await first.provision(binding);
    const sent = Array.from({ length: 40 }, (_, i) => encodeJsonMessage({ id: `m-${i}`, type: 'OrderPlaced', key: `o-${i % 8}`, data: { i } }));
    const handled = new Set<string>();
    let revive!: () => void;
    const dead = new Promise<void>((resolve) => {
      revive = resolve;
    });
    await first.subscribe(binding, async (m) => {
      const { i } = JSON.parse(new TextDecoder().decode(m.body)) as { i: number };
      if (i >= 20)
        await dead; // the process "dies" while handling these: never acknowledged
      else handled.add(m.id);
    });
    await first.publish(binding, sent.slice(0, 20));
    for (let t = 0; t < 300 && handled.size < 20; t += 1) await new Promise((r) => setTimeout(r, 10));
    expect(handled.size).toBe(20);
    await new Promise((r) => setTimeout(r, 100)); // let the group checkpoint the acknowledged batch
    await first.publish(binding, sent.slice(20));
    await new Promise((r) => setTimeout(r, 100));
    // A new process opens the same file; the old one is simply abandoned (as after SIGKILL).
    const second = createStoreTransport({ store: open(path), pollIntervalMs: 10 });
    const again: string[] = [];
    const consumer = await second.subscribe(binding, (m) => void again.push(m.id));
    for (let t = 0; t < 300 && again.length < 20; t += 1) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 150));
    await consumer.stop();
    expect(again.sort()).toEqual(
      sent
        .slice(20)
        .map((m) => m.id)
        .sort(),
    );
    revive(); // let the abandoned consumer finish so the test leaves no loop behind
    await first.close();
  });
});
