/**
 * The Kafka binder: Eventfold's Transport on @platformatic/kafka. Publishing goes through one
 * batching idempotent producer (acks=all); each `subscribe` is one consumer-group member; topics,
 * retry topics and the DLQ are provisioned from bindings; lag comes from the admin API.
 */
import {
  assertOutgoingMessage,
  type Binding,
  type ConsumeOptions,
  type Consumer,
  createRetryPolicy,
  type DeadLetterQueue,
  InvalidInputError,
  type MessageHandler,
  type OutgoingMessage,
  requireGroup,
  type Transport,
} from '@eventfold/core';
import { Admin } from '@platformatic/kafka';
import { type ConsumerLag, getConsumerLag } from './consumerLag.js';
import { BatchingProducer } from './internal/batchingProducer.js';
import { GroupConsumer, retryGroupOf } from './internal/groupConsumer.js';
import { closedError, closeQuietly, toKafkaTransportError } from './internal/kafkaErrors.js';
import { toKafkaRecord } from './internal/recordCodec.js';
import { deadLetterTopicOf, retryTopicOf } from './internal/topicNames.js';
import { createTopicReaderClient, readTopicWith, type TopicRecord } from './internal/topicReader.js';
import { createKafkaDeadLetters } from './kafkaDeadLetters.js';
import {
  assertCompression,
  type KafkaCompression,
  type KafkaTransportOptions,
  type ResolvedKafkaOptions,
  resolveKafkaOptions,
} from './kafkaTransportOptions.js';
import { ensureTopics, topicsForBinding } from './provisionTopics.js';

export interface KafkaTransport extends Transport {
  readonly binder: 'kafka';
  readonly options: Readonly<ResolvedKafkaOptions>;
  /** Lag of the binding's group on its destination (and of `<group>.retry` on its retry topic), per partition. */
  lag(binding: Binding): Promise<ConsumerLag>;
  /** Deletes the binding's destination, retry and dead-letter topics and its group's offsets (tests, teardown). */
  deprovision(binding: Binding): Promise<void>;
  /** Every record of a topic, from log start to end; `read_committed` (default) skips aborted transactions. */
  readTopic(topic: string, isolation?: 'read_committed' | 'read_uncommitted'): Promise<TopicRecord[]>;
}

/**
 * @example
 * const transport = createKafkaTransport({ brokers: ['127.0.0.1:9092'], producer: { lingerMs: 5, compression: 'lz4' } });
 * const bindings = defineBindings({
 *   ordersOut: { binder: 'kafka', destination: 'shop.orders', kafka: { partitions: 6 } },
 *   billing: { binder: 'kafka', destination: 'shop.orders', group: 'billing', consumer: { concurrency: 8 } },
 * });
 * await transport.provision(bindings.billing);
 * await transport.publish(bindings.ordersOut, messages); // resolves once the broker acknowledged all (acks=all)
 * const consumer = await transport.subscribe(bindings.billing, async (message) => { … });
 */
export function createKafkaTransport(options: KafkaTransportOptions = {}): KafkaTransport {
  const resolved = resolveKafkaOptions(options);
  let producer: BatchingProducer | undefined;
  let admin: Admin | undefined;
  let closed = false;
  let members = 0;
  const consumers = new Set<GroupConsumer>();

  // Retry and dead-letter writes of consumers get their own producer, so they never queue behind a
  // large application publish (a due retry would be late by however long that publish takes).
  let handoverProducer: BatchingProducer | undefined;
  const getProducer = () => {
    producer ??= new BatchingProducer(resolved, 'producer');
    return producer;
  };
  const getHandoverProducer = () => {
    handoverProducer ??= new BatchingProducer(resolved, 'handover');
    return handoverProducer;
  };
  const getAdmin = () => {
    admin ??= new Admin({ clientId: `${resolved.clientId}-admin`, bootstrapBrokers: resolved.brokers, timeout: resolved.producer.timeoutMs });
    return admin;
  };
  const checkBinding = (binding: Binding, what: string) => {
    if (closed) throw closedError(what);
    if (binding?.binder !== 'kafka') {
      throw new InvalidInputError(
        `bindings.${binding?.name}.binder`,
        `is ${JSON.stringify(binding?.binder)}, but this is the Kafka transport: use binder 'kafka'.`,
      );
    }
  };
  const compressionOf = (binding: Binding): KafkaCompression =>
    binding.kafka?.compression === undefined
      ? resolved.producer.compression
      : assertCompression(`bindings.${binding.name}.kafka.compression`, binding.kafka.compression);

  // One reader connection per transport for DLQ listings and readTopic (they may be polled often).
  let reader: ReturnType<typeof createTopicReaderClient> | undefined;
  const read = (topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed') => {
    if (closed) return Promise.reject(closedError('read a topic'));
    reader ??= createTopicReaderClient(resolved.brokers, `${resolved.clientId}-reader`);
    return readTopicWith(reader, topic, { isolation });
  };
  const deadLetters: DeadLetterQueue = createKafkaDeadLetters({
    read,
    producer: getProducer,
    compressionOf,
    now: () => resolved.clock.now(),
  });

  return {
    binder: 'kafka',
    options: resolved,
    deadLetters,

    async provision(binding) {
      checkBinding(binding, 'provision');
      compressionOf(binding);
      await ensureTopics(getAdmin(), topicsForBinding(binding, resolved.defaultPartitions));
    },

    async publish(binding: Binding, messages: readonly OutgoingMessage[]) {
      checkBinding(binding, 'publish');
      if (!Array.isArray(messages)) throw new InvalidInputError('messages', 'must be an array of messages.');
      for (const [i, m] of messages.entries()) assertOutgoingMessage(m, `messages[${i}]`);
      const compression = compressionOf(binding);
      await getProducer().send(
        messages.map((m) => toKafkaRecord(binding.destination, m)),
        compression,
      );
    },

    async subscribe(binding: Binding, handler: MessageHandler, consume: ConsumeOptions = {}): Promise<Consumer> {
      checkBinding(binding, 'subscribe');
      const group = requireGroup(binding);
      if (typeof handler !== 'function') throw new InvalidInputError('handler', 'must be a function (message) => Promise<void> | void.');
      members += 1;
      const consumer = new GroupConsumer({
        options: resolved,
        binding,
        group,
        handler,
        consume,
        policy: createRetryPolicy(binding.consumer?.retry, { random: resolved.random }),
        producer: getHandoverProducer(),
        compression: compressionOf(binding),
        memberSuffix: `${group}-${members}`,
      });
      await Promise.all([consumer.start(), getHandoverProducer().warm()]);
      consumers.add(consumer);
      void consumer.done.finally(() => consumers.delete(consumer)).catch(() => {});
      return consumer;
    },

    async lag(binding) {
      checkBinding(binding, 'read consumer lag');
      const group = requireGroup(binding);
      try {
        const main = await getConsumerLag(getAdmin(), group, [binding.destination]);
        const retry = await getConsumerLag(getAdmin(), retryGroupOf(group), [retryTopicOf(binding.destination, group)]);
        return { group, partitions: [...main.partitions, ...retry.partitions], total: main.total + retry.total };
      } catch (error) {
        throw toKafkaTransportError(error, `read the lag of group "${group}"`, { group });
      }
    },

    async deprovision(binding) {
      checkBinding(binding, 'deprovision');
      const names = topicsForBinding(binding, 1).map((t) => t.name);
      const existing = new Set(await getAdmin().listTopics());
      const topics = names.filter((n) => existing.has(n));
      if (topics.length > 0) await getAdmin().deleteTopics({ topics });
      if (binding.group !== undefined)
        await getAdmin()
          .deleteGroups({ groups: [binding.group, retryGroupOf(binding.group)] })
          .catch(() => {});
    },

    readTopic(topic, isolation = 'read_committed') {
      return read(topic, isolation);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...consumers].map((c) => c.stop()));
      await producer?.close();
      await handoverProducer?.close();
      await admin?.close().catch(() => {});
      await closeQuietly(reader);
    },
  };
}

export { deadLetterTopicOf, retryTopicOf };
