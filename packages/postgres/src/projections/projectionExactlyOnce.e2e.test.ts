import { fileURLToPath } from 'node:url';
import { killChildAfter, runChildUntil, seededRandom } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import { createTestPostgresStore, testPostgresUrl } from '../testing/index.js';
import { appliedCounts, readBalances, replayBalances } from './balancesProjection.js';

const script = fileURLToPath(new URL('./testing/balanceRunnerProcess.ts', import.meta.url));

test('PostgreSQL: balance += amount over 10,000 events while the runner process is SIGKILLed 10 times: equals a full replay, 0 double-applied, 0 missed', async () => {
  const store = await createTestPostgresStore();
  const seed = Number(process.env.EVENTFOLD_KILL_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const appendThousand = async () => {
    for (let a = 0; a < 10; a++) {
      const events = Array.from({ length: 100 }, () => ({ type: 'AccountCredited', data: { amount: Math.floor(random() * 2001) - 1000 } }));
      await store.appendToStream(`account-${a}`, events);
    }
  };
  const child = { script, args: [testPostgresUrl, store.schema] };
  try {
    await appendThousand();
    const checkpoint = async () => (await store.checkpoints.load('balances')) ?? 0n;
    const killedBehind: boolean[] = [];
    for (let kill = 1; kill <= 10; kill++) {
      const before = await checkpoint();
      // The child needs ≥ 250 ms of sleep alone for 1,000 events, so a kill within 50–200 ms always finds work left.
      await killChildAfter(child, 50 + Math.floor(random() * 150));
      const after = await checkpoint();
      killedBehind.push(after < (await store.headPosition()));
      expect(after).toBeGreaterThanOrEqual(before);
      if (kill < 10) await appendThousand();
    }
    const head = await store.headPosition();
    await runChildUntil({ ...child, args: [...child.args, 'finish'] }, async () => (await checkpoint()) === head);

    const events = await store.readAll({ maxCount: 100_000 });
    expect(events).toHaveLength(10_000);
    expect(await readBalances(store.pool, store.schema), `seed ${seed}`).toEqual(replayBalances(events));
    const { applied, doubled } = await appliedCounts(store.pool, store.schema);
    expect({ missed: 10_000 - applied, doubled }, `seed ${seed}`).toEqual({ missed: 0, doubled: 0 });
    expect(killedBehind).toEqual(Array(10).fill(true));
  } finally {
    await store.close();
  }
});
