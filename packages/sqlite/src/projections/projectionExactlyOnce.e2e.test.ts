import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChildAfter, runChildUntil, seededRandom } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import { createSqliteEventStore } from '../createSqliteEventStore.js';
import { readBalances, replayBalances } from './balancesProjection.js';

const script = fileURLToPath(new URL('./testing/balanceRunnerProcess.ts', import.meta.url));

test('balance += amount over 10,000 events while the runner process is SIGKILLed 10 times: read model equals a full replay, 0 double-applied, 0 missed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-kill-'));
  const path = join(dir, 'store.db');
  const store = createSqliteEventStore({ path, busyTimeoutMs: 30_000 });
  const seed = Number(process.env.EVENTFOLD_KILL_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const appendThousand = async () => {
    for (let a = 0; a < 10; a++) {
      const events = Array.from({ length: 100 }, () => ({ type: 'AccountCredited', data: { amount: Math.floor(random() * 2001) - 1000 } }));
      await store.appendToStream(`account-${a}`, events);
    }
  };
  try {
    await appendThousand();
    const checkpoint = async () => (await store.checkpoints.load('balances')) ?? 0n;
    const killedBehind: boolean[] = [];
    for (let kill = 1; kill <= 10; kill++) {
      const before = await checkpoint();
      await killChildAfter({ script, args: [path] }, 50 + Math.floor(random() * 350));
      const after = await checkpoint();
      killedBehind.push(after < (await store.headPosition()));
      expect(after).toBeGreaterThanOrEqual(before);
      if (kill < 10) await appendThousand();
    }
    const head = await store.headPosition();
    expect(head).toBe(10_000n);
    await runChildUntil({ script, args: [path, 'finish'] }, async () => (await checkpoint()) === head);

    const events = await store.readAll({ maxCount: 100_000 });
    expect(events).toHaveLength(10_000);
    expect(readBalances(store.db), `seed ${seed}`).toEqual(replayBalances(events));
    const counts = store.db.prepare('SELECT count(*) AS applied, sum(times > 1) AS doubled FROM applied').get() as { applied: number; doubled: number };
    expect({ missed: 10_000 - counts.applied, doubled: counts.doubled }, `seed ${seed}`).toEqual({ missed: 0, doubled: 0 });
    // Every kill hit a runner with work left: the crashes were real interruptions, not idle exits.
    expect(killedBehind).toEqual(Array(10).fill(true));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
