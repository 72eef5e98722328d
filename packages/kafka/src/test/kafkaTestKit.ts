/** Shared by the Kafka integration tests: transport settings for the local broker and random names. */
import { randomBytes } from 'node:crypto';
import type { KafkaTransportOptions } from '../kafkaTransportOptions.js';

export const KAFKA_BROKERS = [process.env.EVENTFOLD_KAFKA_BROKERS ?? '127.0.0.1:9092'];

/** Short sessions and fetch waits so rebalances and quiet periods stay short in tests. */
export function kafkaTestOptions(overrides: KafkaTransportOptions = {}): KafkaTransportOptions {
  return {
    brokers: KAFKA_BROKERS,
    clientId: `eventfold-test-${randomBytes(3).toString('hex')}`,
    ...overrides,
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, maxWaitMs: 100, ...overrides.consumer },
  };
}

export function randomTopic(prefix: string): string {
  return `${prefix}.${randomBytes(5).toString('hex')}`;
}
