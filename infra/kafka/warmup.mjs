/**
 * The first use of consumer groups and transactions makes the broker create __consumer_offsets and
 * __transaction_state, which takes seconds; tests that hit it first would time out. This runs one
 * transactional produce and one committed group read (classic and KIP-848 protocols) right after start.
 */
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { bootstrap } from './config.mjs';
import { InfraError } from './errors.mjs';

const topic = 'eventfold.warmup';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function untilOk(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (error) {
      last = error;
      await sleep(250);
    }
  }
  throw new InfraError(`Kafka warm-up: ${what} did not succeed within ${timeoutMs / 1000} s: ${last?.message ?? last}`);
}

async function consumeOne(groupProtocol) {
  const consumer = new Consumer({
    clientId: `eventfold-warmup-${groupProtocol}`,
    bootstrapBrokers: [bootstrap],
    groupId: `eventfold.warmup.${groupProtocol}`,
    ...(groupProtocol === 'consumer' ? { groupProtocol } : { sessionTimeout: 6000, heartbeatInterval: 500 }),
    deserializers: stringDeserializers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 200,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    for await (const message of stream) {
      await message.commit();
      break;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
}

export async function warmUpBroker() {
  const admin = new Admin({ clientId: 'eventfold-warmup', bootstrapBrokers: [bootstrap] });
  try {
    await untilOk('topic creation', async () => {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    });
    await untilOk('group coordinator', () => admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [topic] }));
    await untilOk('transaction coordinator', () => admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.TRANSACTION, keys: [topic] }));
  } finally {
    await admin.close();
  }
  await untilOk('transactional produce', async () => {
    // A fresh producer per attempt: a failed beginTransaction leaves the client's transaction slot taken.
    // producerId/epoch -1 ask InitProducerId for a new identity; @platformatic/kafka 1.35 otherwise sends
    // 0/0, which the broker answers with PRODUCER_FENCED once the transactional id has been used before.
    const producer = new Producer({
      clientId: 'eventfold-warmup',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      transactionalId: 'eventfold.warmup',
      producerId: -1n,
      producerEpoch: -1,
    });
    try {
      const tx = await producer.beginTransaction();
      await tx.send({ messages: [{ topic, key: 'warmup', value: new Date().toISOString() }] });
      await tx.commit();
    } finally {
      await producer.close(true);
    }
  });
  await untilOk('classic group read', () => consumeOne('classic'));
  await untilOk('consumer-protocol group read', () => consumeOne('consumer'));
}
