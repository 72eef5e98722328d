/**
 * A consumer whose fetch stream dies (what the client does after its own retries when the broker or
 * the network goes away) rejoins with a new client and keeps consuming; nothing is lost. The broker
 * itself is not restarted here: other test files share it.
 */
import { defineBinding, type OutgoingMessage } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import type { GroupConsumer } from './internal/groupConsumer.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const message = (n: number): OutgoingMessage => ({
  id: `rec-${n}`,
  type: 'Recovered',
  schemaVersion: 1,
  key: `k${n % 5}`,
  contentType: 'application/json',
  headers: {},
  body: Buffer.from(JSON.stringify({ n })),
});

describe('Kafka consumer recovery', () => {
  const transport = createKafkaTransport(kafkaTestOptions());
  const binding = defineBinding('rec', { binder: 'kafka', destination: randomTopic('rec'), group: randomTopic('rec.g'), kafka: { partitions: 2 } });
  afterAll(async () => {
    await transport.deprovision(binding).catch(() => {});
    await transport.close();
  });

  it('rejoins after its stream fails and delivers what was published before and after', async () => {
    await transport.provision(binding);
    const seen = new Set<string>();
    const consumer = (await transport.subscribe(binding, (m) => void seen.add(m.id))) as GroupConsumer;
    await transport.publish(
      binding,
      Array.from({ length: 20 }, (_, n) => message(n)),
    );
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 30_000;
      while (seen.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(20);
    expect(seen.size).toBe(20);
    // Kill the destination's fetch stream the way the client does when it gives up.
    const lane = (consumer as unknown as { lanes: Array<{ stream: { destroy(e: Error): void } }> }).lanes[0];
    lane?.stream.destroy(new Error('simulated: Cannot connect to any broker.'));
    await transport.publish(
      binding,
      Array.from({ length: 20 }, (_, n) => message(100 + n)),
    );
    await waitFor(40);
    expect(seen.size, 'messages published around the failure').toBe(40);
    expect(consumer.recoveries).toBe(1);
    await consumer.stop();
    await expect(consumer.done).resolves.toBeUndefined();
  });
});
