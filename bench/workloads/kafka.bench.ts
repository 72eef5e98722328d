/**
 * Issue 4 benchmarks on the local Kafka broker (npm run kafka:start): publishing 400-byte events with
 * acks=all and the idempotent producer through Eventfold's transport, beside a raw @platformatic/kafka
 * producer loop sending the same records (same headers, same request size) and Kafka's own
 * ProducerPerformance tool (the Java client, run from the cached jars) as the ceiling; then consuming
 * them through `transport.subscribe` beside a raw @platformatic/kafka consumer stream.
 *
 * Like with like on the consume side: the raw consumer fetches with Eventfold's resolved fetch settings
 * (maxBytes, maxWaitTime, minBytes, highWaterMark = the transport's `consumer` options), so both make the
 * same fetch round trips and the ratio measures Eventfold's own per-record and per-group work. Neither
 * side parses the JSON value: the raw loop only counts records (it decodes nothing, not even the key or
 * headers), while Eventfold decodes key, id, type, schema version and content type to strings for its
 * handler, tracks per-partition offsets and commits only what finished, and runs its retry-topic member.
 * The raw loop commits the fetched offsets every 100 ms (autocommit); Eventfold every 50 ms (default).
 *
 * The target's anchor is the raw *at-least-once* consumer: the same client and fetch settings, doing
 * what a hand-written consumer with Eventfold's guarantee must — read the key and the type and id
 * headers, call the handler, commit only processed offsets (autocommit off, chained commits every
 * 50 ms). The bare counting loop above (fetched offsets autocommitted: at-most-once) stays as a
 * reported floor, and a raw loop on the client's default fetch settings as a reference.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Binding, defineBinding, encodeJsonMessage, type OutgoingMessage } from '@eventfold/core';
import { createKafkaTransport, type KafkaTransport } from '@eventfold/kafka';
import { Admin, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import { eventData, inLanes, type Measurement, timed, type Workload } from '../lib.js';

const brokers = [process.env.EVENTFOLD_BENCH_KAFKA ?? '127.0.0.1:9092'];
const EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 20_000);
/** Events per publish call (Eventfold) and per send (raw loop). */
const BATCH = 500;
/** Publish calls in flight at once for Eventfold; its producer packs them into one request at a time. */
const WINDOW = 4;
const PARTITIONS = 3;
/** ProducerPerformance needs a longer run than EVENTS to get past the JVM's warm-up; its rate is reported per event. */
const PERF_RECORDS = Math.max(EVENTS, 100_000);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const tag = randomBytes(4).toString('hex');
const publishBinding = defineBinding('benchOut', { binder: 'kafka', destination: `bench.kafka.publish.${tag}`, kafka: { partitions: PARTITIONS } });
const consumeTopic = `bench.kafka.consume.${tag}`;
const consumeBinding = (group: string): Binding =>
  defineBinding('benchIn', {
    binder: 'kafka',
    destination: consumeTopic,
    group,
    kafka: { partitions: PARTITIONS },
    consumer: { concurrency: 8, maxInFlight: 1_000 },
  });

function messages(): OutgoingMessage[] {
  return Array.from({ length: EVENTS }, (_, i) =>
    encodeJsonMessage({ id: `${tag}-${i}-${randomBytes(4).toString('hex')}`, type: 'OrderPlaced', key: `order-${i % 64}`, data: eventData(i) as never }),
  );
}

/** The raw loop's records carry the same four headers Eventfold writes, so both send the same bytes. */
function rawRecords(topic: string, all: OutgoingMessage[]) {
  return all.map((m) => ({
    topic,
    key: Buffer.from(m.key),
    value: Buffer.from(m.body),
    headers: new Map<Buffer, Buffer>([
      [Buffer.from('eventfold-message-id'), Buffer.from(m.id)],
      [Buffer.from('eventfold-type'), Buffer.from(m.type)],
      [Buffer.from('eventfold-schema-version'), Buffer.from('1')],
      [Buffer.from('eventfold-content-type'), Buffer.from(m.contentType)],
    ]),
  }));
}

function chunks<T>(all: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

/** The cached broker classpath written by infra/kafka (the newest jar set that has the perf tools). */
function kafkaClasspath(): string | undefined {
  const cache = join(repoRoot, '.cache', 'kafka');
  if (!existsSync(cache)) return undefined;
  const dir = readdirSync(cache)
    .filter((d) => d.startsWith('libs-') && !d.includes('.tmp-'))
    .map((d) => join(cache, d))
    .find((d) => readdirSync(d).some((f) => f.startsWith('kafka-tools-')));
  return dir === undefined ? undefined : join(dir, '*');
}

/** Kafka's ProducerPerformance: its own records/sec figure (JVM start-up excluded). */
function producerPerformance(classpath: string, topic: string): { operations: number; ms: number } {
  const result = spawnSync(
    'java',
    [
      '-Xmx512m',
      '-cp',
      classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(PERF_RECORDS),
      '--record-size',
      '400',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers[0]}`,
      'acks=all',
      'enable.idempotence=true',
      // Requests of the same size Eventfold and the raw loop send (1,000 × 400 B), not the 16 KiB default.
      'batch.size=524288',
      'linger.ms=5',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  // Progress lines come every 5 s; the summary is the last "<n> records sent, <rate> records/sec" line.
  const matches = [...(result.stdout ?? '').matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)];
  const summary = matches.at(-1);
  if (result.status !== 0 || summary === undefined || Number(summary[1]) !== PERF_RECORDS) {
    throw new Error(`ProducerPerformance failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  const rate = Number(summary[2]);
  return { operations: EVENTS, ms: (EVENTS / rate) * 1000 };
}

let transport: KafkaTransport;
let rawProducer: Producer;

/** A raw consumer in a new group; with `eventfoldFetch`, fetching with the transport's resolved settings. */
function rawConsumer(groupPrefix: string, eventfoldFetch: boolean): Consumer {
  const fetch = transport.options.consumer;
  return new Consumer({
    clientId: `${groupPrefix}-${tag}`,
    bootstrapBrokers: brokers,
    groupId: `${groupPrefix}.${randomBytes(4).toString('hex')}`,
    ...(eventfoldFetch ? { maxBytes: fetch.maxBytesPerPoll, maxWaitTime: fetch.maxWaitMs, minBytes: 1, highWaterMark: fetch.maxRecordsPerPoll } : {}),
  });
}

export async function workloads(): Promise<Workload[]> {
  const classpath = kafkaClasspath();
  let prepared = false;
  const once = async () => {
    if (prepared) return;
    prepared = true;
    transport = createKafkaTransport({ brokers, clientId: `bench-${tag}`, producer: { batchSize: 1_000 } });
    await transport.provision(publishBinding);
    await transport.provision(defineBinding('consumeTopic', { binder: 'kafka', destination: consumeTopic, kafka: { partitions: PARTITIONS } }));
    rawProducer = new Producer({
      clientId: `bench-raw-${tag}`,
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      producerId: -1n,
      producerEpoch: -1,
    });
    // The consume workload reads the same EVENTS records every round, each time with a new group.
    await transport.publish(defineBinding('fill', { binder: 'kafka', destination: consumeTopic }), messages());
  };
  /** The bare loop: counts records, decodes nothing, autocommits what it fetched (at-most-once). */
  const rawCountingLoop = async (groupPrefix: string, eventfoldFetch: boolean): Promise<Measurement> => {
    await once();
    const consumer = rawConsumer(groupPrefix, eventfoldFetch);
    return timed(EVENTS, async () => {
      const stream = await consumer.consume({ topics: [consumeTopic], mode: 'earliest', autocommit: 100 });
      let seen = 0;
      for await (const _record of stream) {
        seen += 1;
        if (seen === EVENTS) break;
      }
      await stream.close();
      await consumer.close(true);
    });
  };
  const teardown = async () => {
    // Every topic of this run (destinations, per-group retry topics, DLQs) carries the run's tag.
    const admin = new Admin({ clientId: `bench-admin-${tag}`, bootstrapBrokers: brokers });
    const topics = (await admin.listTopics()).filter((t) => t.includes(tag));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
    await admin.close();
    await rawProducer.close();
    await transport.close();
  };

  const publishAnchors = [
    {
      name: 'raw @platformatic/kafka producer loop',
      run: async () => {
        await once();
        const all = messages();
        // Building the records is part of producing, for the raw loop as for Eventfold.
        return timed(EVENTS, async () => {
          for (const batch of chunks(rawRecords(publishBinding.destination, all), 1_000)) await rawProducer.send({ messages: batch });
        });
      },
    },
  ];
  if (classpath !== undefined) {
    publishAnchors.push({
      name: 'Kafka ProducerPerformance (Java, ceiling)',
      run: async () => {
        await once();
        return producerPerformance(classpath, publishBinding.destination);
      },
    });
  }

  return [
    {
      id: 'kafka.publish.400b',
      description: `${EVENTS.toLocaleString('en-US')} × 400-byte events, acks=all + idempotent producer, ${PARTITIONS} partitions; Eventfold: publish calls of ${BATCH}, ${WINDOW} in flight`,
      unit: 'events',
      rounds: 5,
      setup: once,
      eventfold: {
        name: 'Eventfold transport.publish',
        run: async () => {
          const batches = chunks(messages(), BATCH);
          return timed(EVENTS, () => inLanes(batches.length, WINDOW, (i) => transport.publish(publishBinding, batches[i] as OutgoingMessage[])));
        },
      },
      anchors: publishAnchors,
      targets: [{ anchor: 'raw @platformatic/kafka producer loop', minRatio: 0.8, label: '≥ 0.8× raw @platformatic/kafka producer loop' }],
    },
    {
      id: 'kafka.consume.400b',
      description: `consume ${EVENTS.toLocaleString('en-US')} × 400-byte events from ${PARTITIONS} partitions with a new group, committing after processing; both consumers with the same fetch settings`,
      unit: 'events',
      rounds: 5,
      teardown,
      eventfold: {
        name: 'Eventfold transport.subscribe',
        run: async () => {
          await once();
          const binding = consumeBinding(`bench.ef.${randomBytes(4).toString('hex')}`);
          await transport.provision(binding);
          let seen = 0;
          let finish!: () => void;
          const finished = new Promise<void>((resolve) => {
            finish = resolve;
          });
          const measured = await timed(EVENTS, async () => {
            const consumer = await transport.subscribe(binding, () => {
              seen += 1;
              if (seen === EVENTS) finish();
            });
            await finished;
            await consumer.stop();
          });
          return measured;
        },
      },
      anchors: [
        {
          name: 'raw @platformatic/kafka consumer stream',
          run: () => rawCountingLoop('bench.raw', true),
        },
        {
          // The like-for-like anchor: what a hand-written at-least-once consumer on the raw client does per
          // record — read the key and the type and id headers a handler routes and dedupes by, call the
          // handler, and commit offsets only after processing (autocommit off; processed offsets
          // committed every 50 ms and at the end, as Eventfold does). One loop, no per-key concurrency.
          name: 'raw @platformatic/kafka at-least-once consumer',
          run: async () => {
            await once();
            const consumer = rawConsumer('bench.rawa', true);
            const typeHeader = 'eventfold-type';
            const idHeader = 'eventfold-message-id';
            return timed(EVENTS, async () => {
              const stream = await consumer.consume({ topics: [consumeTopic], mode: 'earliest', autocommit: false });
              const processed = new Map<number, bigint>();
              // Commits chained in the background, one after another (offsets only move forward), as Eventfold does.
              let commits: Promise<void> = Promise.resolve();
              const commit = () => {
                const offsets = [...processed].map(([partition, offset]) => ({ topic: consumeTopic, partition, offset: offset + 1n, leaderEpoch: -1 }));
                processed.clear();
                if (offsets.length > 0) commits = commits.then(() => consumer.commit({ offsets }));
                return commits;
              };
              let lastCommit = performance.now();
              let seen = 0;
              let routed = 0;
              for await (const record of stream) {
                const key = record.key?.toString();
                let type: string | undefined;
                let id: string | undefined;
                for (const [name, value] of record.headers) {
                  const n = name.toString();
                  if (n === typeHeader) type = value.toString();
                  else if (n === idHeader) id = value.toString();
                }
                if (key !== undefined && type !== undefined && id !== undefined) routed += 1;
                processed.set(record.partition, record.offset);
                seen += 1;
                if (performance.now() - lastCommit >= 50) {
                  lastCommit = performance.now();
                  void commit();
                }
                if (seen === EVENTS) break;
              }
              await commit();
              if (routed !== EVENTS) throw new Error(`raw at-least-once consumer routed ${routed} of ${EVENTS}`);
              await stream.close();
              await consumer.close(true);
            });
          },
        },
        {
          // Reference, no target: the client's own fetch defaults (10 MB per fetch) instead of Eventfold's
          // 1 MiB. Shows what Eventfold's smaller default fetch (chosen to bound event-loop stalls) costs.
          name: 'raw consumer stream, library default fetch (reference)',
          run: () => rawCountingLoop('bench.rawd', false),
        },
      ],
      targets: [{ anchor: 'raw @platformatic/kafka at-least-once consumer', minRatio: 0.8, label: '≥ 0.8× raw @platformatic/kafka at-least-once consumer' }],
    },
  ];
}
