import { isEventfoldError } from '@eventfold/core';
import type { Producer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { resolveKafkaOptions } from '../kafkaTransportOptions.js';
import { BatchingProducer } from './batchingProducer.js';
import type { KafkaRecord } from './recordCodec.js';

interface Sent {
  producer: number;
  compression: string;
  values: string[];
}

/** A stand-in for the client that records each request and acknowledges it on the next tick (or fails on demand). */
function fakeClients(failOn: (call: number) => boolean = () => false) {
  const sent: Sent[] = [];
  let made = 0;
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const create = () => {
    const id = made++;
    return {
      async send({ messages, compression }: { messages: KafkaRecord[]; compression: string }) {
        const call = calls++;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        if (failOn(call)) throw new Error(`broker said no to request ${call}`);
        sent.push({ producer: id, compression, values: messages.map((m) => (m.value as Buffer).toString()) });
        return {};
      },
      async close() {},
      async initIdempotentProducer() {
        return {};
      },
    } as unknown as Producer;
  };
  return { create, sent, made: () => made, maxInFlight: () => maxInFlight };
}

const records = (prefix: string, n: number): KafkaRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic: 't', key: Buffer.from('k'), value: Buffer.from(`${prefix}${i}`), headers: new Map() }));

describe('BatchingProducer', () => {
  it('splits a large publish into requests of batchSize, in order, one request in flight', async () => {
    const fake = fakeClients();
    const producer = new BatchingProducer(resolveKafkaOptions({ producer: { batchSize: 1000 } }), 'test', fake.create);
    await producer.send(records('a', 2500), 'none');
    expect(fake.sent.map((s) => s.values.length)).toEqual([1000, 1000, 500]);
    expect(fake.sent.flatMap((s) => s.values)).toEqual(records('a', 2500).map((r) => (r.value as Buffer).toString()));
    expect(fake.maxInFlight()).toBe(1);
  });

  it('packs concurrent publishes into one request, and never mixes compression codecs', async () => {
    const fake = fakeClients();
    const producer = new BatchingProducer(resolveKafkaOptions(), 'test', fake.create);
    await Promise.all([producer.send(records('a', 3), 'lz4'), producer.send(records('b', 2), 'lz4'), producer.send(records('c', 2), 'gzip')]);
    expect(fake.sent).toEqual([
      { producer: 0, compression: 'lz4', values: ['a0', 'a1', 'a2', 'b0', 'b1'] },
      { producer: 0, compression: 'gzip', values: ['c0', 'c1'] },
    ]);
  });

  it('keeps requests under maxBatchBytes', async () => {
    const fake = fakeClients();
    const producer = new BatchingProducer(resolveKafkaOptions({ producer: { maxBatchBytes: 1024 } }), 'test', fake.create);
    await producer.send(records('x', 40), 'none');
    expect(fake.sent.length).toBeGreaterThan(1);
    expect(fake.sent.flatMap((s) => s.values)).toHaveLength(40);
  });

  it('rejects only the publishes of a failed request (retryable) and continues with a new client', async () => {
    const fake = fakeClients((call) => call === 0);
    const producer = new BatchingProducer(resolveKafkaOptions({ producer: { batchSize: 2 } }), 'test', fake.create);
    const first = producer.send(records('a', 2), 'none');
    const second = producer.send(records('b', 2), 'none');
    const error = await first.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventfoldError(error, 'EVENTFOLD_TRANSPORT_UNAVAILABLE') && error.retryable).toBe(true);
    await second;
    expect(fake.sent).toEqual([{ producer: 1, compression: 'none', values: ['b0', 'b1'] }]);
    expect(fake.made()).toBe(2);
  });

  it('flushes on close and refuses publishes afterwards', async () => {
    const fake = fakeClients();
    const producer = new BatchingProducer(resolveKafkaOptions(), 'test', fake.create);
    const pending = producer.send(records('a', 5), 'none');
    await producer.close();
    await pending;
    expect(fake.sent.flatMap((s) => s.values)).toHaveLength(5);
    await expect(producer.send(records('b', 1), 'none')).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED' });
  });
});
