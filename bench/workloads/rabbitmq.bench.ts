/**
 * Issue 4 benchmarks on the local RabbitMQ: publishing 400-byte events with publisher confirms to a
 * quorum queue, and consuming them with manual acks — Eventfold's transport beside a raw amqplib
 * confirm channel / consumer doing the same work (same batching, same window, same prefetch).
 *
 * What makes the comparison fair (`npm run bench -- --filter rabbitmq.`):
 * - publish: both send the same properties and headers, the body without a copy, 200-message
 *   batches with 4 awaiting confirms; the raw side needs no validation, no encoding and no pending
 *   bookkeeping (republish on reconnect, confirm timeout), which Eventfold does.
 * - consume: both open their channel, set the prefetch, consume, parse every body as JSON from the
 *   delivered bytes, ack, cancel and close the channel inside the timed part. Eventfold also consumes
 *   the group's retry queue, decodes the envelope and keeps per-key order. The target's anchor acks
 *   every message (the plain amqplib consumer); Eventfold coalesces its acks into one
 *   basic.ack(multiple) per event-loop turn, so a second anchor does the same with raw amqplib to show
 *   where that leaves the broker.
 * - round trip (`rabbitmq.roundtrip.400b`): one message at a time, published with a confirm and awaited
 *   at its consumer before the next is sent — the latency of one hop when nothing is batched. Anchors:
 *   raw amqplib with its default socket (Nagle's algorithm on) and with `noDelay`, as Eventfold connects.
 * - every contender's round is measured alternately with the others (bench/run.ts rotates the order);
 *   the machine is shared, so single rounds scatter widely (publish: 0.7–2.3× between rounds of one
 *   run, both sides being broker-bound), hence 15 publish rounds and 9 consume rounds.
 */
import { randomBytes } from 'node:crypto';
import { type Binding, defineBinding, encodeJsonMessage, type OutgoingMessage } from '@eventfold/core';
import { createRabbitMqTransport, type RabbitMqTransport } from '@eventfold/rabbitmq';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { eventData, inLanes, type Measurement, timed, type Workload } from '../lib.js';

const url = process.env.EVENTFOLD_BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const EVENTS = Number(process.env.BENCH_RABBITMQ_EVENTS ?? 10_000);
const BATCH = 200;
/** Batches awaiting confirms at once, for both contenders. */
const WINDOW = 4;
const PREFETCH = 256;

const tag = randomBytes(4).toString('hex');
const publishBinding = defineBinding('benchOut', { binder: 'rabbitmq', destination: `bench.publish.${tag}`, group: 'sink' });
const consumeBinding = defineBinding('benchIn', {
  binder: 'rabbitmq',
  destination: `bench.consume.${tag}`,
  group: 'reader',
  consumer: { concurrency: 1, maxInFlight: PREFETCH },
});
const queueOf = (b: Binding) => `${b.destination}.${b.group}`;
/** Sequential round trips per round of `rabbitmq.roundtrip.400b`. */
const TRIPS = Number(process.env.BENCH_RABBITMQ_TRIPS ?? 200);
const roundTripBinding = defineBinding('benchTrip', {
  binder: 'rabbitmq',
  destination: `bench.roundtrip.${tag}`,
  group: 'reader',
  consumer: { concurrency: 1, maxInFlight: 16 },
});

/**
 * `TRIPS` round trips, each timed from publish to delivery at the consumer: `send(i)` publishes message i
 * and resolves on its confirm; `arrived` is resolved by the consumer. Returns the round with its p99.
 */
async function roundTrips(send: (i: number) => Promise<void>, next: () => Promise<void>): Promise<Measurement> {
  const latencies: number[] = [];
  const m = await timed(TRIPS, async () => {
    for (let i = 0; i < TRIPS; i++) {
      const started = performance.now();
      const arrived = next();
      await send(i);
      await arrived;
      latencies.push(performance.now() - started);
    }
  });
  latencies.sort((a, b) => a - b);
  return { ...m, p99Ms: latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] as number };
}

/** A consumer's arrivals as promises: `next()` is resolved by the next delivery. */
function arrivals() {
  let waiting: (() => void) | undefined;
  return {
    next: () =>
      new Promise<void>((resolve) => {
        waiting = resolve;
      }),
    arrived: () => {
      const w = waiting;
      waiting = undefined;
      w?.();
    },
  };
}

function messages(): OutgoingMessage[] {
  return Array.from({ length: EVENTS }, (_, i) =>
    encodeJsonMessage({ id: `${tag}-${i}-${randomBytes(4).toString('hex')}`, type: 'OrderPlaced', key: `order-${i % 64}`, data: eventData(i) as never }),
  );
}

/**
 * The raw anchor's publish: the same properties Eventfold sets (timestamp included), the body passed
 * without a copy as Eventfold does, one confirm callback per message.
 */
function rawPublish(channel: ConfirmChannel, exchange: string, batch: OutgoingMessage[]): Promise<void> {
  const timestamp = Math.floor(Date.now() / 1000);
  return Promise.all(
    batch.map(
      (m) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(
            exchange,
            m.type,
            Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength),
            {
              messageId: m.id,
              type: m.type,
              contentType: m.contentType,
              deliveryMode: 2,
              mandatory: true,
              timestamp,
              headers: { 'eventfold-key': m.key, 'eventfold-schema-version': '1' },
            },
            (error: unknown) => (error ? reject(error) : resolve()),
          );
        }),
    ),
  ).then(() => undefined);
}

function batches(all: OutgoingMessage[]): OutgoingMessage[][] {
  const out: OutgoingMessage[][] = [];
  for (let i = 0; i < all.length; i += BATCH) out.push(all.slice(i, i + BATCH));
  return out;
}

interface Stack {
  transport: RabbitMqTransport;
  raw: ChannelModel;
  rawChannel: ConfirmChannel;
}

/** Each workload opens its own transport and raw connection, and deletes its queues and exchange after. */
function stackFor(binding: Binding) {
  let stack: Stack | undefined;
  return {
    get: () => stack as Stack,
    setup: async () => {
      const transport = await createRabbitMqTransport({ url, connectionName: `bench-${tag}` });
      await transport.provision(binding);
      const raw = await amqp.connect(url);
      stack = { transport, raw, rawChannel: await raw.createConfirmChannel() };
    },
    teardown: async () => {
      if (stack === undefined) return;
      await stack.transport.deprovision(binding).catch(() => {});
      await stack.transport.close();
      await stack.raw.close().catch(() => {});
      stack = undefined;
    },
    /** Empties the queue, then gives the broker a moment for the log truncation a purge starts, off the clock. */
    purge: async () => {
      const channel = await (stack as Stack).raw.createChannel();
      await channel.purgeQueue(queueOf(binding));
      await channel.close();
      await new Promise((resolve) => setTimeout(resolve, 250));
    },
  };
}

export async function workloads(): Promise<Workload[]> {
  const pub = stackFor(publishBinding);
  const sub = stackFor(consumeBinding);
  const trip = stackFor(roundTripBinding);
  // One message set for every round and contender: no per-round garbage collected on the clock.
  let prepared: OutgoingMessage[][] | undefined;
  const prepare = () => {
    prepared ??= batches(messages());
    return prepared;
  };
  const fill = () => {
    const all = prepare();
    return inLanes(all.length, WINDOW, (i) => rawPublish(sub.get().rawChannel, consumeBinding.destination, all[i] as OutgoingMessage[]));
  };

  return [
    {
      id: 'rabbitmq.publish.confirm.400b',
      description: `${EVENTS.toLocaleString('en-US')} × 400-byte events with publisher confirms to a quorum queue, batches of ${BATCH}, ${WINDOW} batches in flight`,
      unit: 'events',
      rounds: 15,
      setup: pub.setup,
      teardown: pub.teardown,
      eventfold: {
        name: 'Eventfold transport.publish',
        run: async () => {
          const all = prepare();
          await pub.purge();
          return timed(EVENTS, () => inLanes(all.length, WINDOW, (i) => pub.get().transport.publish(publishBinding, all[i] as OutgoingMessage[])));
        },
      },
      anchors: [
        {
          name: 'raw amqplib confirm channel',
          run: async () => {
            const all = prepare();
            await pub.purge();
            return timed(EVENTS, () =>
              inLanes(all.length, WINDOW, (i) => rawPublish(pub.get().rawChannel, publishBinding.destination, all[i] as OutgoingMessage[])),
            );
          },
        },
      ],
      targets: [{ anchor: 'raw amqplib confirm channel', minRatio: 0.9, label: '≥ 0.9× raw amqplib confirm channel' }],
    },
    {
      id: 'rabbitmq.consume.400b',
      description: `consume ${EVENTS.toLocaleString('en-US')} × 400-byte events from a quorum queue, manual acks, prefetch ${PREFETCH}`,
      unit: 'events',
      rounds: 9,
      setup: sub.setup,
      teardown: sub.teardown,
      eventfold: {
        name: 'Eventfold transport.subscribe',
        run: async () => {
          await sub.purge();
          await fill();
          let seen = 0;
          let finish!: () => void;
          const finished = new Promise<void>((resolve) => {
            finish = resolve;
          });
          const m = await timed(EVENTS, async () => {
            const consumer = await sub.get().transport.subscribe(consumeBinding, (message) => {
              // The body as delivered, without a copy, like the raw consumer's msg.content.
              JSON.parse(Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength).toString('utf8'));
              seen += 1;
              if (seen === EVENTS) finish();
            });
            await finished;
            await consumer.stop();
          });
          return m;
        },
      },
      anchors: [
        {
          name: 'raw amqplib consumer',
          run: async () => {
            await sub.purge();
            await fill();
            let seen = 0;
            let finish!: () => void;
            const finished = new Promise<void>((resolve) => {
              finish = resolve;
            });
            let channel!: Channel;
            // Like transport.subscribe, opening the channel and setting the prefetch is inside the timed part.
            const m = await timed(EVENTS, async () => {
              channel = await sub.get().raw.createChannel();
              await channel.prefetch(PREFETCH);
              const { consumerTag } = await channel.consume(queueOf(consumeBinding), (msg) => {
                if (msg === null) return;
                JSON.parse(msg.content.toString('utf8'));
                channel.ack(msg);
                seen += 1;
                if (seen === EVENTS) finish();
              });
              await finished;
              await channel.cancel(consumerTag);
              await channel.close();
            });
            return m;
          },
        },
        {
          // Not the target's anchor: the raw consumer with the ack coalescing Eventfold does (one
          // basic.ack multiple=true per event-loop turn), to show what the broker side allows.
          name: 'raw amqplib consumer, coalesced acks',
          run: async () => {
            await sub.purge();
            await fill();
            let seen = 0;
            let finish!: () => void;
            const finished = new Promise<void>((resolve) => {
              finish = resolve;
            });
            let channel!: Channel;
            let last: ConsumeMessage | undefined;
            const flush = () => {
              if (last !== undefined) channel.ack(last, true);
              last = undefined;
            };
            const m = await timed(EVENTS, async () => {
              channel = await sub.get().raw.createChannel();
              await channel.prefetch(PREFETCH);
              const { consumerTag } = await channel.consume(queueOf(consumeBinding), (msg) => {
                if (msg === null) return;
                JSON.parse(msg.content.toString('utf8'));
                if (last === undefined) setImmediate(flush);
                last = msg;
                seen += 1;
                if (seen === EVENTS) finish();
              });
              await finished;
              await channel.cancel(consumerTag);
              await channel.close();
            });
            return m;
          },
        },
      ],
      targets: [{ anchor: 'raw amqplib consumer', minRatio: 0.9, label: '≥ 0.9× raw amqplib consumer' }],
    },
    {
      id: 'rabbitmq.roundtrip.400b',
      description: `${TRIPS} × one 400-byte event published with a confirm and awaited at its consumer before the next (quorum queue)`,
      unit: 'round trips',
      rounds: 5,
      setup: trip.setup,
      teardown: trip.teardown,
      eventfold: {
        name: 'Eventfold publish → subscribe',
        run: async () => {
          const all = prepare().flat();
          const a = arrivals();
          const consumer = await trip.get().transport.subscribe(roundTripBinding, () => a.arrived());
          try {
            return await roundTrips((i) => trip.get().transport.publish(roundTripBinding, [all[i] as OutgoingMessage]), a.next);
          } finally {
            await consumer.stop();
          }
        },
      },
      anchors: [
        {
          name: 'raw amqplib (default socket: Nagle on)',
          run: () => rawRoundTrips(trip.get().raw),
        },
        {
          name: 'raw amqplib, noDelay',
          run: async () => {
            const raw = await amqp.connect(url, { noDelay: true });
            try {
              return await rawRoundTrips(raw);
            } finally {
              await raw.close().catch(() => {});
            }
          },
        },
      ],
      // No issue sets a figure for one hop's latency: reported beside its anchors, not checked.
      targets: [],
    },
  ];

  /** The raw anchor's round trips: a confirm channel to publish, a channel to consume and ack each one. */
  async function rawRoundTrips(raw: ChannelModel): Promise<Measurement> {
    const all = prepare().flat();
    const publisher = await raw.createConfirmChannel();
    const channel = await raw.createChannel();
    await channel.prefetch(16);
    const a = arrivals();
    const { consumerTag } = await channel.consume(queueOf(roundTripBinding), (msg) => {
      if (msg === null) return;
      JSON.parse(msg.content.toString('utf8'));
      channel.ack(msg);
      a.arrived();
    });
    try {
      return await roundTrips((i) => rawPublish(publisher, roundTripBinding.destination, [all[i] as OutgoingMessage]), a.next);
    } finally {
      await channel.cancel(consumerTag);
      await channel.close();
      await publisher.close();
    }
  }
}
