import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepository, defineDecider, defineUpcasters, formatProgress, type RecordedEvent } from '@eventfold/core';
import { afterEach, describe, expect, test } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../createSqliteEventStore.js';
import { balancesProjection, readBalances, replayBalances } from './balancesProjection.js';
import { createSqliteProjectionRunner } from './createSqliteProjectionRunner.js';
import { withSqliteInlineProjections } from './withSqliteInlineProjections.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function openStore(): SqliteEventStore {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-proj-'));
  const store = createSqliteEventStore({ path: join(dir, 'store.db') });
  cleanups.push(() => {
    void store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

async function appendCredits(store: SqliteEventStore, count: number, accounts = 10, chunk = 10_000): Promise<void> {
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    for (let a = 0; a < accounts; a++) {
      const events = Array.from({ length: Math.ceil(size / accounts) }, (_, i) => ({ type: 'AccountCredited', data: { amount: ((start + i) * 7 + a) % 101 } }));
      await store.appendToStream(`account-${a}`, events.slice(0, Math.max(0, Math.min(events.length, size - a * events.length))));
    }
  }
}

describe('SQLite projections', () => {
  test('the runner applies events and moves the checkpoint in one transaction; a failing batch leaves both untouched', async () => {
    const store = openStore();
    let failAt: bigint | undefined;
    const projection = balancesProjection({
      pauseInBatch: () => {
        const last = store.db.prepare('SELECT max(global_position) FROM applied').pluck().get() as number;
        if (failAt !== undefined && BigInt(last) === failAt) throw new Error('disk full');
      },
    });
    const runner = createSqliteProjectionRunner(store, projection, { batchSize: 4 });
    await appendCredits(store, 10, 2);
    failAt = 6n;
    await expect(runner.catchUp()).rejects.toThrow('disk full');
    // Batch 5–8 failed after writing 5 and 6: rolled back with its checkpoint.
    expect(await store.checkpoints.load('balances')).toBe(4n);
    expect(store.db.prepare('SELECT count(*) FROM applied').pluck().get()).toBe(4);
    failAt = undefined;
    await createSqliteProjectionRunner(store, projection, { batchSize: 4 }).catchUp();
    expect(readBalances(store.db)).toEqual(replayBalances(await store.readAll()));
    expect(store.db.prepare('SELECT count(*) AS n, max(times) AS most FROM applied').get()).toEqual({ n: 10, most: 1 });
  });

  test('inline projections commit with the append; a failing handler rolls the append back', async () => {
    const base = openStore();
    const store = withSqliteInlineProjections(base, [balancesProjection()]);
    await store.appendToStream('account-a', [
      { type: 'AccountCredited', data: { amount: 5 } },
      { type: 'AccountOpened', data: {} },
    ]);
    expect(readBalances(store.db)).toEqual({ 'account-a': 5 });
    const broken = withSqliteInlineProjections(base, [
      balancesProjection({
        name: 'broken',
        pauseInBatch: () => {
          throw new Error('constraint');
        },
      }),
    ]);
    await expect(broken.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 1 } }])).rejects.toThrow('constraint');
    expect(await base.streamVersion('account-a')).toBe(2);
    expect(readBalances(store.db)).toEqual({ 'account-a': 5 });
    // A retried append of already stored events is acknowledged without projecting them again.
    const retried = [{ type: 'AccountCredited', data: { amount: 7 }, eventId: '0190e0a0-0000-7000-8000-000000000001' }];
    await store.appendToStream('account-a', retried);
    expect(await store.appendToStream('account-a', retried)).toMatchObject({ alreadyStored: true });
    expect(readBalances(store.db)).toEqual({ 'account-a': 12 });
  });

  test('inline projections work under the repository; events stored as v1 are projected as v3', async () => {
    const upcasters = defineUpcasters([
      { type: 'AccountCredited', fromVersion: 1, upcast: (d) => ({ cents: Math.round(Number((d as { euros: string }).euros) * 100) }) },
      { type: 'AccountCredited', fromVersion: 2, upcast: (d) => ({ amount: (d as { cents: number }).cents }) },
    ]);
    const base = openStore();
    await base.appendToStream('account-a', [{ type: 'AccountCredited', schemaVersion: 1, data: { euros: '1.25' } }]);
    const store = withSqliteInlineProjections(base, [balancesProjection()], { upcasters });
    const decider = defineDecider<number, { type: 'Credit'; data: { amount: number } }, { type: 'AccountCredited'; data: { amount: number } }>({
      name: 'Account',
      eventTypes: ['AccountCredited'],
      initialState: () => 0,
      decide: (c) => ({ type: 'AccountCredited', data: { amount: c.data.amount } }),
      evolve: (s, e) => s + e.data.amount,
    });
    const accounts = createRepository({ store, decider, upcasters });
    expect((await accounts.handle('a', { type: 'Credit', data: { amount: 10 } })).state).toBe(135);
    // Inline projected the new v3 event; a runner replays the stored v1 one through the chain too.
    expect(readBalances(store.db)).toEqual({ 'account-a': 10 });
    await createSqliteProjectionRunner(base, balancesProjection({ name: 'balances-async' }), { upcasters }).rebuild();
    expect(readBalances(store.db)).toEqual({ 'account-a': 135 });
    expect((await base.readStream('account-a')).map((e: RecordedEvent) => e.schemaVersion)).toEqual([1, 3]);
  });

  test('rebuild over 100,000 events prints progress and equals the incremental result', async () => {
    const store = openStore();
    await appendCredits(store, 100_000, 10);
    expect(await store.headPosition()).toBe(100_000n);
    const runner = createSqliteProjectionRunner(store, balancesProjection(), { batchSize: 2_000 });
    await runner.catchUp();
    const incremental = readBalances(store.db);
    expect(incremental).toEqual(replayBalances(await store.readAll({ maxCount: 100_000 })));
    const lines: string[] = [];
    const final = await runner.rebuild({
      batchSize: 10_000,
      onProgress: (progress) => {
        const line = formatProgress(progress);
        lines.push(line);
        process.stdout.write(`${line}\n`);
      },
    });
    expect(final).toMatchObject({ processed: 100_000, total: 100_000, done: true });
    expect(lines).toHaveLength(11);
    expect(lines[4]).toMatch(/^rebuild balances: 50,000\/100,000 events \(50\.0%\), [\d,]+ events\/s$/);
    expect(readBalances(store.db)).toEqual(incremental);
    expect(store.db.prepare('SELECT count(*) AS n, max(times) AS most FROM applied').get()).toEqual({ n: 100_000, most: 1 });
    const status = await runner.status();
    expect(status).toMatchObject({ position: 100_000n, lagEvents: 0 });
  });
});
