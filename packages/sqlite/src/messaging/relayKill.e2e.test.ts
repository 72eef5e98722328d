/**
 * The outbox relay as a process, SIGKILLed 10 times while 10,000 events are appended: the consumer's
 * read model (SQLite inbox in the same transaction as its effects) equals the event store — lost 0,
 * double-applied 0. The transport is the store transport on a second SQLite file; the Kafka and
 * RabbitMQ packages run the same pattern against their brokers.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStoreTransport, defineBinding } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../createSqliteEventStore.js';
import { createSqliteInbox } from './createSqliteInbox.js';

const dir = mkdtempSync(join(tmpdir(), 'eventfold-relay-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = fileURLToPath(new URL('./fixtures/relayProcess.ts', import.meta.url));
const sourcePath = join(dir, 'source.db');
const transportPath = join(dir, 'transport.db');

function startRelay(): Promise<ChildProcess> {
  const child = fork(script, [sourcePath, transportPath, 'relay-slot-1', '60'], {
    execArgv: ['--conditions=@eventfold/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`relay exited early with ${code}`)));
  });
}
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('relay process killed 10 times (SQLite → store transport → SQLite inbox)', () => {
  it('10,000 events: read model equals the store, lost 0, double-applied 0', async () => {
    const source = createSqliteEventStore({ path: sourcePath });
    const transportStore = createSqliteEventStore({ path: transportPath });
    const readModel = createSqliteEventStore({ path: join(dir, 'read.db') });
    readModel.db.exec('CREATE TABLE applied (stream_id TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (stream_id, position))');
    const transport = createStoreTransport({ store: transportStore, pollIntervalMs: 20 });
    const ordersIn = defineBinding('orders-in', { binder: 'inproc', destination: 'orders', group: 'read-model', consumer: { concurrency: 8 } });
    await transport.provision(ordersIn);
    const inbox = createSqliteInbox({ store: readModel, name: 'read-model' });
    let deliveries = 0;
    const insert = readModel.db.prepare('INSERT INTO applied (stream_id, position) VALUES (?, ?)'); // a second apply would violate the key
    const handle = inbox.handler((m) => void insert.run(m.headers['eventfold-stream-id'], Number(m.headers['eventfold-stream-position'])));
    const consumer = await transport.subscribe(ordersIn, async (m) => {
      deliveries += 1;
      await handle(m);
    });

    const total = 10_000;
    let appended = 0;
    const appending = (async () => {
      while (appended < total) {
        const events = Array.from({ length: 25 }, (_, i) => ({ type: 'OrderPlaced', data: { n: appended + i } }));
        await source.appendToStream(`order-${(appended / 25) % 97}`, events);
        appended += 25;
        await sleep(20); // ~1,000 events/s: appends go on across all ten kills
      }
    })();
    let relay = await startRelay();
    for (let kill = 0; kill < 10; kill += 1) {
      await sleep(300 + Math.floor(Math.random() * 300));
      const gone = exited(relay);
      relay.kill('SIGKILL');
      expect(await gone).toBeNull();
      relay = await startRelay();
    }
    await appending;
    const count = () => readModel.db.prepare('SELECT count(*) FROM applied').pluck().get() as number;
    for (let t = 0; t < 1_200 && count() < total; t += 1) await sleep(50);
    const gone = exited(relay);
    relay.kill('SIGTERM');
    expect(await gone, 'SIGTERM stops the relay cleanly').toBe(0);
    await consumer.stop();

    const versions = readModel.db.prepare('SELECT stream_id, max(position) AS v, count(*) AS c FROM applied GROUP BY stream_id').all() as Array<{
      stream_id: string;
      v: number;
      c: number;
    }>;
    const expected = await Promise.all(versions.map(async (r) => source.streamVersion(r.stream_id)));
    expect(count(), 'lost').toBe(total);
    versions.forEach((r, i) => {
      expect([r.stream_id, r.v, r.c]).toEqual([r.stream_id, expected[i], expected[i]]);
    });
    // With a 60 ms confirm latency most kills land between publish and checkpoint: those batches go out twice.
    expect(deliveries, 'kills cause redeliveries, which the inbox absorbs').toBeGreaterThan(total);
    console.info(`relay kill test: ${total} events, ${deliveries} deliveries, ${deliveries - total} duplicates absorbed by the inbox`);
    await transport.close();
    await Promise.all([source.close(), transportStore.close(), readModel.close()]);
  });
});
