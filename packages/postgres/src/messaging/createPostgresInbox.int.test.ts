import { createInMemoryTransport, createRelay, defineBinding, isEventfoldError } from '@eventfold/core';
import { untilVisible } from '@eventfold/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresEventStore, PostgresTransaction } from '../createPostgresEventStore.js';
import { createTestPostgresStore } from '../testing/index.js';
import { createPostgresInbox } from './createPostgresInbox.js';

const opened: PostgresEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function open() {
  const store = await createTestPostgresStore();
  opened.push(store);
  await store.pool.query(`CREATE TABLE "${store.schema}".totals (account text PRIMARY KEY, amount int NOT NULL)`);
  return store;
}

/** The consumer's effect: a read-model row in the store's schema (quoted identifiers are test-made, never user input). */
const credit = (store: PostgresEventStore, account: string, amount: number) => async (tx: PostgresTransaction) => {
  await tx.client.query(
    `INSERT INTO "${store.schema}".totals AS t (account, amount) VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET amount = t.amount + EXCLUDED.amount`,
    [account, amount],
  );
};

async function totals(store: PostgresEventStore): Promise<Record<string, number>> {
  const { rows } = await store.pool.query<{ account: string; amount: number }>(`SELECT account, amount FROM "${store.schema}".totals ORDER BY account`);
  return Object.fromEntries(rows.map((r) => [r.account, r.amount]));
}

describe('createPostgresInbox (PostgreSQL)', () => {
  it('applies a message once; a failed attempt leaves neither effect nor id', async () => {
    const store = await open();
    const inbox = await createPostgresInbox({ store, name: 'billing' });
    expect((await inbox.process('m-1', credit(store, 'a', 10))).processed).toBe(true);
    expect(await inbox.process('m-1', credit(store, 'a', 10))).toEqual({ processed: false });
    await expect(
      inbox.process('m-2', async (tx) => {
        await credit(store, 'a', 1)(tx);
        throw new Error('projection bug');
      }),
    ).rejects.toThrow('projection bug');
    expect(await inbox.has('m-2')).toBe(false);
    expect((await inbox.process('m-2', credit(store, 'a', 1))).processed).toBe(true);
    expect(await totals(store)).toEqual({ a: 11 });
  });

  it('lets exactly one of many concurrent duplicates have an effect', async () => {
    const store = await open();
    const inbox = await createPostgresInbox({ store, name: 'billing' });
    const results = await Promise.all(Array.from({ length: 8 }, () => inbox.process('dup', credit(store, 'a', 1))));
    expect(results.filter((r) => r.processed)).toHaveLength(1);
    expect(await totals(store)).toEqual({ a: 1 });
  });

  it('store → relay → transport (with redeliveries) → inbox: the read model equals the store', async () => {
    const source = await open();
    const target = await open();
    const inbox = await createPostgresInbox({ store: target, name: 'billing' });
    const transport = createInMemoryTransport();
    const binding = defineBinding('payments', { binder: 'memory', destination: 'payments', group: 'billing', consumer: { concurrency: 4 } });
    let delivered = 0;
    const handle = inbox.handler((message, tx) => credit(target, message.key, 1)(tx));
    await transport.subscribe(binding, async (m) => {
      delivered += 1;
      await handle(m);
    });
    let last = 0n;
    for (let i = 0; i < 60; i += 1) last = (await source.appendToStream(`acct-${i % 4}`, [{ type: 'PaymentCaptured', data: { i } }])).globalPosition;
    await untilVisible(source, last); // another test's open transaction may hold the log back for a moment
    // Two relay runs over the same range: the second simulates a crash before the checkpoint was stored.
    const relay = () => createRelay({ name: 'payments-relay', store: source, transport, routes: [{ binding }], batchSize: 100 });
    expect(await relay().runOnce()).toBe(60);
    await source.checkpoints.delete('payments-relay');
    expect(await relay().runOnce()).toBe(60);
    for (let tries = 0; tries < 500 && delivered < 120; tries += 1) await new Promise((r) => setTimeout(r, 10));
    expect(delivered).toBe(120);
    expect(await totals(target)).toEqual({ 'acct-0': 15, 'acct-1': 15, 'acct-2': 15, 'acct-3': 15 });
  });

  it('prunes old ids and rejects a missing name', async () => {
    const store = await open();
    let now = Date.UTC(2026, 0, 1);
    const inbox = await createPostgresInbox({ store, name: 'c', clock: { now: () => new Date(now) } });
    await inbox.process('old', async () => undefined);
    now += 60_000;
    await inbox.process('new', async () => undefined);
    expect(await inbox.prune(new Date(now - 1_000))).toBe(1);
    expect([await inbox.has('old'), await inbox.has('new')]).toEqual([false, true]);
    await expect(createPostgresInbox({ store, name: '' })).rejects.toSatisfy((e) => isEventfoldError(e, 'EVENTFOLD_INVALID_INPUT'));
  });
});
