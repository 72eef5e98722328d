/**
 * Child process for the PostgreSQL kill test: runs the balances projection until killed. It waits
 * 1 ms after every fourth event inside the batch's transaction, so most SIGKILLs land
 * mid-transaction. With `finish` it runs flat out (big batches, no pauses) to drain the backlog.
 * Usage: balanceRunnerProcess.ts <connection string> <schema> [finish]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresEventStore } from '../../createPostgresEventStore.js';
import { balancesProjection } from '../balancesProjection.js';
import { createPostgresProjectionRunner } from '../createPostgresProjectionRunner.js';

const [connectionString, schema, mode] = process.argv.slice(2);
const finish = mode === 'finish';
if (!connectionString || !schema) throw new Error('usage: balanceRunnerProcess.ts <connection string> <schema>');
let applied = 0;
const store = await createPostgresEventStore({ connectionString, schema, maxConnections: 2 });
const runner = createPostgresProjectionRunner(
  store,
  balancesProjection(schema, {
    afterEvent: async () => {
      if (!finish && ++applied % 4 === 0) await sleep(1);
    },
  }),
  { batchSize: finish ? 500 : 20, pollIntervalMs: 10 },
);
await runner.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void runner.stop().then(() => store.close());
});
await runner.done;
