/** Publishing on the real broker: compression codecs round-trip, unprovisioned topics are refused, per-key order. */
import { defineBinding, isEventfoldError, type OutgoingMessage } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { fromKafkaRecord } from './internal/recordCodec.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const message = (key: string, n: number, body: Uint8Array = Buffer.from(JSON.stringify({ n, pad: 'p'.repeat(200) }))): OutgoingMessage => ({
  id: `${key}-${n}`,
  type: 'ThingHappened',
  schemaVersion: 1,
  key,
  contentType: 'application/json',
  headers: { n: String(n) },
  body,
});

describe('Kafka publish', () => {
  const transport = createKafkaTransport(kafkaTestOptions({ producer: { batchSize: 100, lingerMs: 1 } }));
  const provisioned: ReturnType<typeof defineBinding>[] = [];
  afterAll(async () => {
    for (const b of provisioned) await transport.deprovision(b).catch(() => {});
    await transport.close();
  });

  for (const compression of ['gzip', 'snappy', 'lz4'] as const) {
    it(`round-trips records compressed with ${compression}`, async () => {
      const binding = defineBinding(compression, { binder: 'kafka', destination: randomTopic(`pub.${compression}`), kafka: { partitions: 2, compression } });
      provisioned.push(binding);
      await transport.provision(binding);
      const sent = Array.from({ length: 250 }, (_, n) => message(`k${n % 7}`, n));
      await transport.publish(binding, sent);
      const records = await transport.readTopic(binding.destination);
      expect(records).toHaveLength(sent.length);
      const got = new Map(records.map((r) => [fromKafkaRecord(r).message.id, fromKafkaRecord(r).message]));
      for (const m of sent) expect(Buffer.from(got.get(m.id)?.body ?? []).equals(Buffer.from(m.body))).toBe(true);
      // Per key, offsets follow publish order (one key → one partition, one request at a time).
      for (const key of new Set(sent.map((m) => m.key))) {
        const ns = records.filter((r) => r.key?.toString() === key).map((r) => Number(fromKafkaRecord(r).message.headers.n));
        expect(ns, `order of ${key}`).toEqual([...ns].sort((a, b) => a - b));
      }
    });
  }

  it('packs concurrent publishes into shared requests and resolves each only when its records are acknowledged', async () => {
    const binding = defineBinding('many', { binder: 'kafka', destination: randomTopic('pub.many'), kafka: { partitions: 3 } });
    provisioned.push(binding);
    await transport.provision(binding);
    await Promise.all(Array.from({ length: 40 }, (_, i) => transport.publish(binding, [message(`c${i % 5}`, i)])));
    expect(await transport.readTopic(binding.destination)).toHaveLength(40);
  });

  it('refuses to publish to a topic that was never provisioned (auto-creation is off)', async () => {
    const binding = defineBinding('ghost', { binder: 'kafka', destination: randomTopic('pub.ghost') });
    const short = createKafkaTransport(kafkaTestOptions({ producer: { retries: 2, timeoutMs: 2_000 } }));
    try {
      const error = await short.publish(binding, [message('k', 1)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isEventfoldError(error, 'EVENTFOLD_PUBLISH_REJECTED'), `expected EVENTFOLD_PUBLISH_REJECTED, got ${String(error)}`).toBe(true);
      expect((error as Error).message).toMatch(/provision/);
    } finally {
      await short.close();
    }
  });

  it('rejects a binding of another binder and an unsupported codec with EVENTFOLD_INVALID_INPUT', async () => {
    const rabbit = defineBinding('r', { binder: 'rabbitmq', destination: 'x' });
    await expect(transport.publish(rabbit, [message('k', 1)])).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    const zstd = defineBinding('z', { binder: 'kafka', destination: randomTopic('pub.zstd'), kafka: { compression: 'zstd' } });
    await expect(transport.provision(zstd)).rejects.toThrow(/zstd needs Node/);
  });
});
