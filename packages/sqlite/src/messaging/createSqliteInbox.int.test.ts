import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryTransport, defineBinding, encodeJsonMessage, isEventfoldError } from '@eventfold/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../createSqliteEventStore.js';
import { createSqliteInbox } from './createSqliteInbox.js';

const dir = mkdtempSync(join(tmpdir(), 'eventfold-inbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const opened: SqliteEventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function open(path = join(dir, `inbox-${++n}.db`)) {
  const store = createSqliteEventStore({ path });
  opened.push(store);
  store.db.exec('CREATE TABLE IF NOT EXISTS totals (account TEXT PRIMARY KEY, amount INTEGER NOT NULL)');
  return { store, path };
}

const total = (store: SqliteEventStore, account: string) =>
  (store.db.prepare('SELECT amount FROM totals WHERE account = ?').pluck().get(account) as number | undefined) ?? 0;

const credit = (account: string, amount: number) => (tx: { db: SqliteEventStore['db'] }) => {
  tx.db
    .prepare('INSERT INTO totals (account, amount) VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET amount = amount + excluded.amount')
    .run(account, amount);
};

describe('createSqliteInbox (SQLite file)', () => {
  it('applies a message once: the redelivery finds its id and has no second effect', () => {
    const { store } = open();
    const inbox = createSqliteInbox({ store, name: 'billing' });
    expect(inbox.process('m-1', credit('a', 10))).toEqual({ processed: true, result: undefined });
    expect(inbox.process('m-1', credit('a', 10))).toEqual({ processed: false });
    expect(total(store, 'a')).toBe(10);
    expect(inbox.has('m-1')).toBe(true);
  });

  it('rolls back the inbox row with the effects when they fail, so the retry does the work', () => {
    const { store } = open();
    const inbox = createSqliteInbox({ store, name: 'billing' });
    expect(() =>
      inbox.process('m-2', (tx) => {
        credit('a', 5)(tx);
        throw new Error('projection bug');
      }),
    ).toThrow('projection bug');
    expect(inbox.has('m-2')).toBe(false);
    expect(total(store, 'a')).toBe(0);
    inbox.process('m-2', credit('a', 5));
    expect(total(store, 'a')).toBe(5);
  });

  it('dedupes per consumer name, across connections to the same file', () => {
    const { store, path } = open();
    const other = open(path).store;
    createSqliteInbox({ store, name: 'billing' }).process('m-3', credit('a', 1));
    expect(createSqliteInbox({ store: other, name: 'billing' }).process('m-3', credit('a', 1))).toEqual({ processed: false });
    expect(createSqliteInbox({ store: other, name: 'shipping' }).process('m-3', credit('b', 1)).processed).toBe(true);
    expect([total(store, 'a'), total(store, 'b')]).toEqual([1, 1]);
  });

  it('appends events in the same transaction as the inbox row', async () => {
    const { store } = open();
    const inbox = createSqliteInbox({ store, name: 'payments' });
    for (let i = 0; i < 3; i += 1) inbox.process('order-placed-1', (tx) => tx.appendToStream('payment-1', [{ type: 'PaymentRequested', data: { order: 1 } }]));
    expect(await store.streamVersion('payment-1')).toBe(1);
  });

  it('behind a transport: redelivered and replayed copies change the read model once', async () => {
    const { store } = open();
    const inbox = createSqliteInbox({ store, name: 'billing' });
    const transport = createInMemoryTransport();
    const binding = defineBinding('in', { binder: 'memory', destination: 'payments', group: 'billing', consumer: { concurrency: 4 } });
    let delivered = 0;
    let applied = 0;
    const handle = inbox.handler((message, tx) => {
      applied += 1;
      credit(message.key, 1)(tx);
    });
    const consumer = await transport.subscribe(binding, async (message) => {
      delivered += 1;
      await handle(message);
    });
    const messages = Array.from({ length: 50 }, (_, i) => encodeJsonMessage({ id: `pay-${i}`, type: 'PaymentCaptured', key: `acct-${i % 5}`, data: { i } }));
    await transport.publish(binding, messages);
    await transport.publish(binding, messages.slice(0, 20)); // the broker redelivers a range
    for (let tries = 0; tries < 200 && delivered < 70; tries += 1) await new Promise((r) => setTimeout(r, 5));
    await consumer.stop();
    expect([delivered, applied]).toEqual([70, 50]);
    expect([0, 1, 2, 3, 4].map((i) => total(store, `acct-${i}`))).toEqual([10, 10, 10, 10, 10]);
  });

  it('prunes old ids and rejects bad input', () => {
    const { store } = open();
    let now = 1_000;
    const inbox = createSqliteInbox({ store, name: 'c', clock: { now: () => new Date(now) } });
    inbox.process('old', () => undefined);
    now = 5_000;
    inbox.process('new', () => undefined);
    expect(inbox.prune(new Date(2_000))).toBe(1);
    expect([inbox.has('old'), inbox.has('new')]).toEqual([false, true]);
    expect(() => inbox.process('', () => undefined)).toThrow(/messageId/);
    try {
      createSqliteInbox({ store, name: '' });
      expect.unreachable();
    } catch (error) {
      expect(isEventfoldError(error, 'EVENTFOLD_INVALID_INPUT')).toBe(true);
    }
  });
});
