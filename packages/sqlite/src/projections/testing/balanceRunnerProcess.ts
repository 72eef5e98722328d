/**
 * Child process for the kill test: runs the balances projection over a SQLite file until killed.
 * It sleeps 1 ms every second event inside the batch's transaction, so most SIGKILLs land
 * mid-transaction and the backlog outlasts any kill window. With `finish` it runs flat out to
 * drain the backlog. Usage: balanceRunnerProcess.ts <db path> [finish]
 */
import { createSqliteEventStore } from '../../createSqliteEventStore.js';
import { balancesProjection } from '../balancesProjection.js';
import { createSqliteProjectionRunner } from '../createSqliteProjectionRunner.js';

const [path, mode] = process.argv.slice(2);
const finish = mode === 'finish';
if (!path) throw new Error('usage: balanceRunnerProcess.ts <db path>');
const pause = new Int32Array(new SharedArrayBuffer(4));
let applied = 0;
const store = createSqliteEventStore({ path, busyTimeoutMs: 30_000 });
const runner = createSqliteProjectionRunner(
  store,
  balancesProjection({
    pauseInBatch: () => {
      if (!finish && ++applied % 2 === 0) Atomics.wait(pause, 0, 0, 1);
    },
  }),
  { batchSize: finish ? 1000 : 20, pollIntervalMs: 10 },
);
await runner.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void runner.stop().then(() => store.close());
});
await runner.done;
