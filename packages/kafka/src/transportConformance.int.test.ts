/** The shared transport conformance suite on the real local Kafka broker (npm run kafka:start). */
import { describeTransportConformance } from '@eventfold/core/testing';
import { afterAll } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { kafkaTestOptions } from './test/kafkaTestKit.js';

const admin = createKafkaTransport(kafkaTestOptions());
afterAll(() => admin.close());

describeTransportConformance('kafka', {
  createTransport: async () => createKafkaTransport(kafkaTestOptions()),
  // Three partitions so members of one group really share a topic.
  bindingDefaults: { kafka: { partitions: 3 } },
  cleanup: async (bindings) => {
    for (const binding of bindings) await admin.deprovision(binding).catch(() => {});
  },
  timeoutMs: 30_000,
  quietMs: 1_000,
});
