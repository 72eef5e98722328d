/**
 * Settings of the Kafka transport. Durability is not configurable: every publish uses acks=all and
 * the idempotent producer (the design's "publish means durable"). Everything else has a default that
 * suits a single local broker and is validated up front, so a typo fails at start-up with the fix.
 */
import { type Clock, InvalidInputError, type Sleep, systemClock, systemSleep } from '@eventfold/core';

export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4';

export interface KafkaProducerOptions {
  /** Most messages in one produce request. Default 1,000. */
  batchSize?: number;
  /** Most bytes (keys + values) in one produce request. Default 1 MiB. */
  maxBatchBytes?: number;
  /** How long a publish waits for more messages to share its request, in ms. Default 0 (the next tick). */
  lingerMs?: number;
  /** Default compression; a binding's `kafka.compression` overrides it. Default 'none'. Pure JS/WASM: gzip, snappy, lz4. */
  compression?: KafkaCompression;
  /** Request timeout in ms. Default 30,000. */
  timeoutMs?: number;
  /** Client-level retries of one produce request before publish rejects (retryable). Default 10. */
  retries?: number;
}

export interface KafkaConsumerOptions {
  /** Records one consumer buffers from its fetches before it stops fetching (the prefetch bound). Default 5,000: smaller buffers stall on fetch round trips. */
  maxRecordsPerPoll?: number;
  /** Most bytes one fetch returns. Default 1 MiB: a fetch is decoded in one go, so bigger ones stall the event loop (timers, retries). */
  maxBytesPerPoll?: number;
  /** How long the broker holds a fetch open waiting for data, in ms. Default 100. */
  maxWaitMs?: number;
  /** Group session timeout in ms: a crashed member's partitions move after this. Default 10,000. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval in ms. Default 500. */
  heartbeatIntervalMs?: number;
  /** Rebalance timeout in ms. Default 20,000. */
  rebalanceTimeoutMs?: number;
  /** How often finished offsets are committed, in ms (commit happens only after the handler succeeded). Default 50. */
  commitIntervalMs?: number;
}

export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. Default ['127.0.0.1:9092']. */
  brokers?: string[];
  /** Client id prefix. Default 'eventfold'. */
  clientId?: string;
  /** Partitions of topics provisioned for bindings without `kafka.partitions`. Default 1. */
  defaultPartitions?: number;
  producer?: KafkaProducerOptions;
  consumer?: KafkaConsumerOptions;
  clock?: Clock;
  /** Used for retry delays; inject `createManualTimers().sleep` in tests. */
  sleep?: Sleep;
  /** Uniform in [0, 1) for retry jitter. Default Math.random. */
  random?: () => number;
}

export interface ResolvedKafkaOptions {
  brokers: string[];
  clientId: string;
  defaultPartitions: number;
  producer: Required<KafkaProducerOptions>;
  consumer: Required<KafkaConsumerOptions>;
  clock: Clock;
  sleep: Sleep;
  random: () => number;
}

const COMPRESSIONS: readonly string[] = ['none', 'gzip', 'snappy', 'lz4'];

function positiveInt(path: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidInputError(path, `must be an integer ≥ ${min} (got ${JSON.stringify(value)}).`);
  return value;
}

/** Checks a compression name; zstd needs Node ≥ 22.15 in @platformatic/kafka, so it is refused on Node 20. */
export function assertCompression(path: string, value: unknown): KafkaCompression {
  if (typeof value === 'string' && COMPRESSIONS.includes(value)) return value as KafkaCompression;
  const hint = value === 'zstd' ? ' zstd needs Node ≥ 22.15 (node:zlib zstd); use lz4 or snappy for fast compression on Node 20.' : '';
  throw new InvalidInputError(path, `must be one of ${COMPRESSIONS.join(', ')} (got ${JSON.stringify(value)}).${hint}`);
}

export function resolveKafkaOptions(options: KafkaTransportOptions = {}): ResolvedKafkaOptions {
  const brokers = options.brokers ?? ['127.0.0.1:9092'];
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => typeof b !== 'string' || !/^[^:\s]+:\d{1,5}$/.test(b))) {
    throw new InvalidInputError('brokers', `must be a non-empty list of "host:port" strings (got ${JSON.stringify(brokers)}).`);
  }
  const clientId = options.clientId ?? 'eventfold';
  if (typeof clientId !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(clientId)) {
    throw new InvalidInputError('clientId', `must be 1–100 characters of letters, digits, '.', '_' or '-' (got ${JSON.stringify(clientId)}).`);
  }
  const p = options.producer ?? {};
  const c = options.consumer ?? {};
  const consumer: Required<KafkaConsumerOptions> = {
    maxRecordsPerPoll: positiveInt('consumer.maxRecordsPerPoll', c.maxRecordsPerPoll, 5_000),
    maxBytesPerPoll: positiveInt('consumer.maxBytesPerPoll', c.maxBytesPerPoll, 1024 * 1024, 1024),
    maxWaitMs: positiveInt('consumer.maxWaitMs', c.maxWaitMs, 100, 0),
    sessionTimeoutMs: positiveInt('consumer.sessionTimeoutMs', c.sessionTimeoutMs, 10_000, 1000),
    heartbeatIntervalMs: positiveInt('consumer.heartbeatIntervalMs', c.heartbeatIntervalMs, 500, 50),
    rebalanceTimeoutMs: positiveInt('consumer.rebalanceTimeoutMs', c.rebalanceTimeoutMs, 20_000, 1000),
    commitIntervalMs: positiveInt('consumer.commitIntervalMs', c.commitIntervalMs, 50, 0),
  };
  if (consumer.heartbeatIntervalMs >= consumer.sessionTimeoutMs) {
    throw new InvalidInputError('consumer.heartbeatIntervalMs', `must be below sessionTimeoutMs (${consumer.sessionTimeoutMs}).`);
  }
  return {
    brokers,
    clientId,
    defaultPartitions: positiveInt('defaultPartitions', options.defaultPartitions, 1),
    producer: {
      batchSize: positiveInt('producer.batchSize', p.batchSize, 1_000),
      maxBatchBytes: positiveInt('producer.maxBatchBytes', p.maxBatchBytes, 1024 * 1024, 1024),
      lingerMs: positiveInt('producer.lingerMs', p.lingerMs, 0, 0),
      compression: assertCompression('producer.compression', p.compression ?? 'none'),
      timeoutMs: positiveInt('producer.timeoutMs', p.timeoutMs, 30_000, 100),
      retries: positiveInt('producer.retries', p.retries, 10, 2),
    },
    consumer,
    clock: options.clock ?? systemClock,
    sleep: options.sleep ?? systemSleep,
    random: options.random ?? Math.random,
  };
}
