/**
 * The outbox relay as a process over PostgreSQL, SIGKILLed 5 times while four writers append
 * 4,000 events concurrently (commits out of position order): the consumer's read model, written with
 * the PostgreSQL inbox in the same transaction, equals the event store — lost 0, double-applied 0.
 * (The SQLite twin runs the full 10 kills × 10,000 events; this one keeps CI time modest.)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createStoreTransport, defineBinding } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { createTestPostgresStore, testPostgresUrl } from '../testing/index.js';
import { createPostgresInbox } from './createPostgresInbox.js';

const script = fileURLToPath(new URL('./fixtures/relayProcess.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('relay process killed 5 times (PostgreSQL → store transport → PostgreSQL inbox)', () => {
  it('4,000 events from 4 concurrent writers: read model equals the store, lost 0, double-applied 0', async () => {
    const source = await createTestPostgresStore();
    const transportStore = await createTestPostgresStore();
    const readModel = await createTestPostgresStore();
    const startRelay = (): Promise<ChildProcess> => {
      const child = fork(script, [testPostgresUrl, source.schema, transportStore.schema, 'relay-slot-1', '60'], {
        execArgv: ['--conditions=@eventfold/source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new Promise((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('exit', (code) => reject(new Error(`relay exited early with ${code}`)));
      });
    };
    try {
      const applied = `"${readModel.schema}".applied`;
      await readModel.pool.query(`CREATE TABLE ${applied} (stream_id text NOT NULL, position int NOT NULL, PRIMARY KEY (stream_id, position))`);
      const transport = createStoreTransport({ store: transportStore, pollIntervalMs: 20 });
      const ordersIn = defineBinding('orders-in', { binder: 'inproc', destination: 'orders', group: 'read-model', consumer: { concurrency: 8 } });
      await transport.provision(ordersIn);
      const inbox = await createPostgresInbox({ store: readModel, name: 'read-model' });
      let deliveries = 0;
      const handle = inbox.handler(async (m, tx) => {
        // The primary key would reject a second apply: double-applied shows up as a failure, not a count.
        await tx.client.query(`INSERT INTO ${applied} (stream_id, position) VALUES ($1, $2)`, [
          m.headers['eventfold-stream-id'],
          Number(m.headers['eventfold-stream-position']),
        ]);
      });
      const consumer = await transport.subscribe(ordersIn, async (m) => {
        deliveries += 1;
        await handle(m);
      });

      const total = 4_000;
      const lanes = 4;
      const appending = Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let batch = 0; batch < total / lanes / 25; batch += 1) {
            const events = Array.from({ length: 25 }, (_, i) => ({ type: 'OrderPlaced', data: { lane, batch, i } }));
            await source.appendToStream(`order-${lane}-${batch % 23}`, events);
            await sleep(40);
          }
        }),
      );
      const t0 = Date.now();
      let relay = await startRelay();
      for (let kill = 0; kill < 5; kill += 1) {
        await sleep(300 + Math.floor(Math.random() * 300));
        const gone = exited(relay);
        relay.kill('SIGKILL');
        expect(await gone).toBeNull();
        relay = await startRelay();
      }
      const tKills = Date.now();
      await appending;
      const tAppended = Date.now();
      const count = async () => Number((await readModel.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${applied}`)).rows[0]!.n);
      for (let t = 0; t < 1_200 && (await count()) < total; t += 1) await sleep(50);
      const phases = `kills ${tKills - t0} ms, appends done +${tAppended - tKills} ms, drained +${Date.now() - tAppended} ms`;
      const gone = exited(relay);
      relay.kill('SIGTERM');
      expect(await gone, 'SIGTERM stops the relay cleanly').toBe(0);
      await consumer.stop();
      await transport.close();

      expect(await count(), 'lost').toBe(total);
      const { rows } = await readModel.pool.query<{ stream_id: string; v: number; c: string }>(
        `SELECT stream_id, max(position) AS v, count(*) AS c FROM ${applied} GROUP BY stream_id`,
      );
      for (const row of rows) {
        const version = await source.streamVersion(row.stream_id);
        expect([row.stream_id, row.v, Number(row.c)]).toEqual([row.stream_id, version, version]);
      }
      expect(deliveries, 'kills cause redeliveries, which the inbox absorbs').toBeGreaterThan(total);
      console.info(
        `relay kill test (PostgreSQL): ${total} events, ${deliveries} deliveries, ${deliveries - total} duplicates absorbed by the inbox; ${phases}`,
      );
    } finally {
      await Promise.all([source.close(), transportStore.close(), readModel.close()]);
    }
  });
});
