import { createPositionWaiter, createQueryBus, defineUpcasters, ProjectionTimeoutError } from '@eventfold/core';
import { untilVisible } from '@eventfold/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { createTestPostgresStore } from '../testing/index.js';
import { appliedCounts, balancesProjection, readBalances, replayBalances } from './balancesProjection.js';
import { createPostgresProjectionRunner } from './createPostgresProjectionRunner.js';
import { withPostgresInlineProjections } from './withPostgresInlineProjections.js';

const stores: PostgresEventStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function openStore(): Promise<PostgresEventStore> {
  const store = await createTestPostgresStore();
  stores.push(store);
  return store;
}

const credits = (amounts: number[]) => amounts.map((amount) => ({ type: 'AccountCredited', data: { amount } }));

describe('PostgreSQL projections', () => {
  test('read model and checkpoint commit together; a failing batch leaves both untouched', async () => {
    const store = await openStore();
    let fail = false;
    let seen = 0;
    const projection = balancesProjection(store.schema, {
      afterEvent: () => {
        if (fail && ++seen === 2) throw new Error('disk full');
      },
    });
    await untilVisible(store, (await store.appendToStream('account-a', credits([1, 2, 3]))).globalPosition);
    await createPostgresProjectionRunner(store, projection, { batchSize: 100 }).catchUp();
    const checkpoint = await store.checkpoints.load('balances');
    await untilVisible(store, (await store.appendToStream('account-a', credits([10, 20, 30]))).globalPosition);
    fail = true;
    await expect(createPostgresProjectionRunner(store, projection).catchUp()).rejects.toThrow('disk full');
    expect(await store.checkpoints.load('balances')).toBe(checkpoint);
    expect(await readBalances(store.pool, store.schema)).toEqual({ 'account-a': 6 });
    fail = false;
    await createPostgresProjectionRunner(store, projection).catchUp();
    expect(await readBalances(store.pool, store.schema)).toEqual(replayBalances(await store.readAll()));
    expect(await appliedCounts(store.pool, store.schema)).toEqual({ applied: 6, doubled: 0 });
  });

  test('two runners of one projection never both apply a batch', async () => {
    const store = await openStore();
    for (let i = 0; i < 20; i++) await store.appendToStream(`account-${i % 4}`, credits([i, i + 1]));
    const projection = balancesProjection(store.schema);
    const results = await Promise.allSettled([
      createPostgresProjectionRunner(store, projection, { batchSize: 3 }).catchUp(),
      createPostgresProjectionRunner(store, projection, { batchSize: 3 }).catchUp(),
    ]);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'EVENTFOLD_CHECKPOINT_CONFLICT' });
    await createPostgresProjectionRunner(store, projection).catchUp();
    expect(await readBalances(store.pool, store.schema)).toEqual(replayBalances(await store.readAll()));
    expect(await appliedCounts(store.pool, store.schema)).toEqual({ applied: 40, doubled: 0 });
  });

  test('inline projections commit with the append and roll back with it', async () => {
    const base = await openStore();
    const store = await withPostgresInlineProjections(base, [balancesProjection(base.schema)]);
    await store.appendToStream('account-a', [...credits([5]), { type: 'AccountOpened', data: {} }]);
    expect(await readBalances(base.pool, base.schema)).toEqual({ 'account-a': 5 });
    const broken = await withPostgresInlineProjections(base, [
      balancesProjection(base.schema, {
        name: 'broken',
        afterEvent: () => {
          throw new Error('constraint');
        },
      }),
    ]);
    await expect(broken.appendToStream('account-a', credits([1]))).rejects.toThrow('constraint');
    expect(await base.streamVersion('account-a')).toBe(2);
    expect(await readBalances(base.pool, base.schema)).toEqual({ 'account-a': 5 });
    // A retried append of already stored events is acknowledged without projecting them again.
    const retried = [{ type: 'AccountCredited', data: { amount: 7 }, eventId: '0190e0a0-0000-7000-8000-000000000001' }];
    await store.appendToStream('account-a', retried);
    expect(await store.appendToStream('account-a', retried)).toMatchObject({ alreadyStored: true });
    expect(await readBalances(base.pool, base.schema)).toEqual({ 'account-a': 12 });
  });

  test('events stored as v1 are projected as v3; read-your-writes waits for the runner, or times out typed', async () => {
    const store = await openStore();
    const upcasters = defineUpcasters([
      { type: 'AccountCredited', fromVersion: 1, upcast: (d) => ({ cents: Math.round(Number((d as { euros: string }).euros) * 100) }) },
      { type: 'AccountCredited', fromVersion: 2, upcast: (d) => ({ amount: (d as { cents: number }).cents }) },
    ]);
    await store.appendToStream('account-a', [{ type: 'AccountCredited', schemaVersion: 1, data: { euros: '2.50' } }]);
    const runner = createPostgresProjectionRunner(store, balancesProjection(store.schema), { upcasters, pollIntervalMs: 10 });
    const queries = createQueryBus({ waitForPosition: createPositionWaiter({ runners: [runner] }) });
    queries.register('GetBalances', () => readBalances(store.pool, store.schema));
    await runner.start();
    const { globalPosition } = await store.appendToStream('account-a', [{ type: 'AccountCredited', schemaVersion: 3, data: { amount: 50 } }]);
    // Answered (not ProjectionTimeoutError): the query waited for the runner to reach the caller's write.
    expect(await queries.execute({ type: 'GetBalances' }, { consistency: { projection: 'balances', position: globalPosition, timeoutMs: 5000 } })).toEqual({
      'account-a': 300,
    });
    await runner.pause();
    const later = await store.appendToStream('account-a', [{ type: 'AccountCredited', schemaVersion: 3, data: { amount: 1 } }]);
    await expect(
      queries.execute({ type: 'GetBalances' }, { consistency: { projection: 'balances', position: later.globalPosition, timeoutMs: 100 } }),
    ).rejects.toBeInstanceOf(ProjectionTimeoutError);
    const status = await runner.status();
    expect(status).toMatchObject({ state: 'paused', lagEvents: 1 });
    runner.resume();
    await runner.waitForPosition(later.globalPosition, { timeoutMs: 5000 });
    await runner.stop();
  });
});
