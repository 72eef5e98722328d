/** Consumer lag per group and partition, from the admin API, against what the topic really holds. */
import { defineBinding, type OutgoingMessage } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const message = (n: number): OutgoingMessage => ({
  id: `lag-${n}`,
  type: 'LagMeasured',
  schemaVersion: 1,
  key: `key-${n}`,
  contentType: 'application/json',
  headers: {},
  body: Buffer.from(JSON.stringify({ n })),
});

describe('Kafka consumer lag', () => {
  const transport = createKafkaTransport(kafkaTestOptions());
  const binding = defineBinding('lag', { binder: 'kafka', destination: randomTopic('lag'), group: randomTopic('lag.g'), kafka: { partitions: 3 } });

  afterAll(async () => {
    await transport.deprovision(binding).catch(() => {});
    await transport.close();
  });

  /** Records per partition of the destination, counted by reading the topic. */
  async function perPartition(fromOffset = new Map<number, bigint>()): Promise<Map<number, bigint>> {
    const counts = new Map<number, bigint>([
      [0, 0n],
      [1, 0n],
      [2, 0n],
    ]);
    for (const r of await transport.readTopic(binding.destination)) {
      if (r.offset >= (fromOffset.get(r.partition) ?? 0n)) counts.set(r.partition, (counts.get(r.partition) ?? 0n) + 1n);
    }
    return counts;
  }

  const lagOf = async () => {
    const lag = await transport.lag(binding);
    return { lag, byPartition: new Map(lag.partitions.filter((p) => p.topic === binding.destination).map((p) => [p.partition, p])) };
  };

  it('reports per-partition lag before consuming, zero after, and the new backlog after more publishes', async () => {
    await transport.provision(binding);
    await transport.publish(
      binding,
      Array.from({ length: 30 }, (_, n) => message(n)),
    );

    const before = await lagOf();
    const expected = await perPartition();
    expect([...expected.values()].filter((n) => n > 0n).length, 'keys spread over several partitions').toBeGreaterThan(1);
    for (const [partition, count] of expected) {
      expect(before.byPartition.get(partition)?.lag, `lag of partition ${partition}`).toBe(count);
      expect(before.byPartition.get(partition)?.committedOffset).toBeUndefined();
    }
    expect(before.lag.total).toBe(30n);

    const seen = new Set<string>();
    const consumer = await transport.subscribe(binding, (m) => void seen.add(m.id));
    const deadline = Date.now() + 30_000;
    while (seen.size < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
    const drained = await lagOf();
    expect(drained.lag.total).toBe(0n);
    const committed = new Map<number, bigint>();
    for (const [partition, p] of drained.byPartition) {
      expect(p.committedOffset, `committed offset of partition ${partition}`).toBe(p.endOffset);
      committed.set(partition, p.endOffset);
    }

    await transport.publish(
      binding,
      Array.from({ length: 10 }, (_, n) => message(100 + n)),
    );
    const after = await lagOf();
    const backlog = await perPartition(committed);
    for (const [partition, count] of backlog) expect(after.byPartition.get(partition)?.lag, `new lag of partition ${partition}`).toBe(count);
    expect(after.lag.total).toBe(10n);
  });
});
