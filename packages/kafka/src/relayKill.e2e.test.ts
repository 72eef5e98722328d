/**
 * The outbox relay as a process, PostgreSQL → Kafka, SIGKILLed 10 times while it still has work:
 * 10,000 events over 200 streams; a consumer applies each message to a read model in the same
 * PostgreSQL transaction as its inbox row. The read model equals the event store — lost 0,
 * double-applied 0, per-stream order kept — and the redeliveries the kills cause are absorbed by the inbox.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineBinding, type RecordedEvent } from '@eventfold/core';
import { createPostgresInbox } from '@eventfold/postgres';
import { createTestPostgresStore, testPostgresUrl } from '@eventfold/postgres/testing';
import { describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const script = fileURLToPath(new URL('./test/relayProcess.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOTAL = 10_000;
const STREAMS = 200;
const KILLS = 10;

describe('relay process killed 10 times (PostgreSQL → Kafka → PostgreSQL inbox)', () => {
  it('10,000 events: read model equals the event store, lost 0, double-applied 0, per-stream order kept', { timeout: 150_000 }, async () => {
    const source = await createTestPostgresStore();
    const readModel = await createTestPostgresStore();
    const transport = createKafkaTransport(kafkaTestOptions());
    const topic = randomTopic('relay-kill');
    const ordersIn = defineBinding('orders-in', {
      binder: 'kafka',
      destination: topic,
      group: randomTopic('relay-kill.g'),
      consumer: { concurrency: 8 },
      kafka: { partitions: 4 },
    });
    let relay: ChildProcess | undefined;
    let relayedTo = 0n;
    let acks = 0;
    const startRelay = (): Promise<ChildProcess> => {
      // 40 ms after each broker ack before the checkpoint: kills land between publish and checkpoint too.
      const child = fork(script, [testPostgresUrl, source.schema, topic, 'relay-slot-1', '40'], {
        execArgv: ['--conditions=@eventfold/source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (m) => {
        if (typeof m === 'string' && m.startsWith('to:')) relayedTo = BigInt(m.slice(3));
        if (m === 'acked') acks += 1;
      });
      return new Promise((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('exit', (code) => reject(new Error(`relay exited early with ${code}`)));
      });
    };
    const exited = (child: ChildProcess) =>
      new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    try {
      await transport.provision(ordersIn);
      const applied = `"${readModel.schema}".applied`;
      await readModel.pool.query(`CREATE TABLE ${applied} (event_id text PRIMARY KEY, stream_id text NOT NULL, position int NOT NULL, seq bigserial NOT NULL)`);
      const inbox = await createPostgresInbox({ store: readModel, name: 'read-model' });
      let deliveries = 0;
      const handle = inbox.handler(async (m, tx) => {
        // No ON CONFLICT: a second apply of one event violates the primary key and fails the test.
        await tx.client.query(`INSERT INTO ${applied} (event_id, stream_id, position) VALUES ($1, $2, $3)`, [
          m.id,
          m.headers['eventfold-stream-id'],
          Number(m.headers['eventfold-stream-position']),
        ]);
      });
      const consumer = await transport.subscribe(ordersIn, async (m) => {
        deliveries += 1;
        await handle(m);
      });

      // 4 writers, 200 streams × 5 appends of 10: the global log interleaves the streams.
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let round = 0; round < TOTAL / STREAMS / 10; round += 1) {
            for (let s = lane; s < STREAMS; s += 4) {
              const events = Array.from({ length: 10 }, (_, i) => ({ type: 'OrderPlaced', data: { s, round, i } }));
              await source.appendToStream(`order-${s}`, events);
            }
          }
        }),
      );
      const stored: RecordedEvent[] = await source.readAll({ maxCount: TOTAL * 2 });
      expect(stored).toHaveLength(TOTAL);

      // Kill k once the relay has checkpointed past event (k+1)/(KILLS+2) of the log. Even kills wait a
      // random 0–250 ms more (reading, mid-publish, before the checkpoint, idle); odd kills strike right
      // after the broker acknowledged a batch and before its checkpoint, which forces redeliveries.
      const t0 = Date.now();
      relay = await startRelay();
      let kills = 0;
      for (let k = 0; k < KILLS; k += 1) {
        const threshold = stored[Math.floor(((k + 1) * TOTAL) / (KILLS + 2))]!.globalPosition;
        const deadline = Date.now() + 30_000;
        while (relayedTo < threshold) {
          if (Date.now() > deadline) throw new Error(`relay did not pass kill threshold ${k + 1} within 30 s`);
          await sleep(5);
        }
        if (k % 2 === 0) await sleep(Math.floor(Math.random() * 250));
        else {
          const seen = acks;
          while (acks === seen) {
            if (Date.now() > deadline) throw new Error(`relay acknowledged no batch before kill ${k + 1} within 30 s`);
            await sleep(1);
          }
        }
        expect(relayedTo < stored[TOTAL - 1]!.globalPosition, `kill ${k + 1} lands while the relay still has work`).toBe(true);
        const gone = exited(relay);
        relay.kill('SIGKILL');
        await gone;
        expect(relay.signalCode).toBe('SIGKILL');
        kills += 1;
        relay = await startRelay();
      }
      const tKills = Date.now();
      const count = async () => Number((await readModel.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${applied}`)).rows[0]!.n);
      for (let t = 0; t < 1_200 && (await count()) < TOTAL; t += 1) await sleep(50);
      const tDrained = Date.now();
      const gone = exited(relay);
      relay.kill('SIGTERM');
      await gone;
      expect(relay.exitCode, 'SIGTERM stops the relay cleanly').toBe(0);
      await consumer.stop();

      const rows = (
        await readModel.pool.query<{ event_id: string; stream_id: string; position: number }>(
          `SELECT event_id, stream_id, position FROM ${applied} ORDER BY seq`,
        )
      ).rows;
      const byId = new Map(rows.map((r) => [r.event_id, r]));
      const lost = stored.filter((e) => !byId.has(e.eventId)).length;
      expect(lost, 'lost').toBe(0);
      // The primary key makes each event id appear at most once; equal totals make it exactly once.
      expect(rows.length, 'applied exactly once each').toBe(TOTAL);
      const differing = stored.filter((e) => {
        const r = byId.get(e.eventId);
        return r?.stream_id !== e.streamId || r.position !== e.streamPosition;
      });
      expect(
        differing.map((e) => e.eventId),
        'read model rows that differ from the store',
      ).toEqual([]);
      // Per-stream order: in apply order, each stream's positions run 1, 2, 3, … with no step back.
      const next = new Map<string, number>();
      let outOfOrder = 0;
      for (const r of rows) {
        const expected = (next.get(r.stream_id) ?? 0) + 1;
        if (r.position !== expected) outOfOrder += 1;
        next.set(r.stream_id, r.position);
      }
      expect(outOfOrder, 'applied out of stream order').toBe(0);
      const inboxRows = Number(
        (await readModel.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${readModel.schema}".inbox WHERE consumer = 'read-model'`)).rows[0]!.n,
      );
      expect(inboxRows).toBe(TOTAL);
      expect(kills).toBe(KILLS);
      expect(deliveries, 'kills after an ack cause redeliveries, which the inbox absorbs').toBeGreaterThan(TOTAL);
      console.info(
        `relay kill test (Kafka): ${kills} kills, ${TOTAL} events over ${STREAMS} streams, ${deliveries} deliveries, ` +
          `${deliveries - TOTAL} duplicates absorbed by the inbox, lost ${lost}, double-applied ${rows.length - byId.size}; ` +
          `kills ${tKills - t0} ms, drained +${tDrained - tKills} ms`,
      );
    } finally {
      if (relay && relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
      await transport.deprovision(ordersIn).catch(() => {});
      await transport.close();
      await Promise.all([source.close(), readModel.close()]);
    }
  });
});
