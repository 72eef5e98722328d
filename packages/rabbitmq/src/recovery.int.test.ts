/**
 * Recovery against the real broker: connections are force-closed by RabbitMQ itself
 * (`rabbitmqctl close_connection`, 320 CONNECTION_FORCED) while publishing with confirms and consuming.
 * Only this test's connections are closed (selected by client-provided name), except in the one test
 * that shows the `close_all_connections` path.
 */
import type { Binding } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqTransport, type RabbitMqTransport } from './index.js';
import {
  closeConnectionsNamed,
  connectionNames,
  deleteAll,
  message,
  queuesOf,
  RABBITMQ_URL,
  rabbitBinding,
  rabbitmqctl,
  suffix,
  waitFor,
} from './test/rabbitTestKit.js';

const cleanup: Binding[] = [];
const transports: RabbitMqTransport[] = [];

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await deleteAll({ queues: cleanup.flatMap((b) => queuesOf(b)), exchanges: cleanup.map((b) => b.destination) });
});

async function open(name: string): Promise<RabbitMqTransport> {
  const transport = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: name, reconnect: { initialDelayMs: 50, maxDelayMs: 1_000 } });
  transports.push(transport);
  return transport;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery after a dropped connection', () => {
  it('10,000 confirmed publishes to a quorum queue survive 3 forced closes: lost 0 after dedupe, topology redeclared, consumers resumed', async () => {
    const name = `recovery-${suffix()}`;
    const transport = await open(name);
    const exchange = `t.recovery.${suffix()}`;
    const binding = rabbitBinding('in', {
      destination: exchange,
      group: 'g',
      rabbitmq: { queueType: 'quorum' },
      consumer: { concurrency: 8, maxInFlight: 256 },
    });
    const out = rabbitBinding('out', { destination: exchange });
    cleanup.push(binding);
    const seen = new Set<string>();
    let deliveries = 0;
    const deliveriesByConnection = new Map<number, number>();
    await transport.subscribe(binding, (m) => {
      deliveries += 1;
      seen.add(m.id);
      const gen = transport.stats().connections;
      deliveriesByConnection.set(gen, (deliveriesByConnection.get(gen) ?? 0) + 1);
    });
    expect(await rabbitmqctl('list_queues', '--no-table-headers', 'name', 'type')).toMatch(new RegExp(`${exchange}\\.g\\s+quorum`));

    const started = Date.now();
    const total = 10_000;
    let next = 0;
    const sends: Promise<void>[] = [];
    const publishNext = (count: number) => {
      const messages: ReturnType<typeof message>[] = [];
      for (; messages.length < count && next < total; next++) messages.push(message(`m-${next}`, { key: `k-${next % 97}` }));
      if (messages.length > 0) sends.push(transport.publish(out, messages));
    };
    const closes: number[] = [];
    for (const closeAt of [2_000, 4_500, 7_000]) {
      while (next < closeAt) {
        publishNext(50);
        await sleep(8);
      }
      // Keep a stream of unconfirmed publishes in flight while rabbitmqctl drops the connection and it comes back.
      const before = transport.stats().connections;
      const closing = closeConnectionsNamed(name, 'test');
      while (transport.stats().connections === before) {
        publishNext(1);
        await sleep(4);
      }
      closes.push(await closing);
    }
    while (next < total) {
      publishNext(50);
      await sleep(8);
    }
    await Promise.all(sends);
    expect(closes).toEqual([1, 1, 1]);
    const published = Date.now();

    const expected = Array.from({ length: total }, (_, i) => `m-${i}`);
    // Waits (bounded) for every id; if some never come, the assertion below reports how many were lost.
    await waitFor('every published message to be consumed', () => expected.every((id) => seen.has(id)), 60_000).catch(() => {});
    const lost = expected.filter((id) => !seen.has(id)).length;
    const stats = transport.stats();
    console.log(
      `[recovery] publish ${published - started} ms, consume ${Date.now() - published} ms, deliveries=${deliveries} republished=${stats.republished} byConnection=${JSON.stringify([...deliveriesByConnection])}`,
    );
    expect(lost).toBe(0);
    // Three forced closes → at least 4 connections (a missed heartbeat on a loaded box could add one);
    // the whole topology was declared again on every one of them.
    expect(stats.connections).toBeGreaterThanOrEqual(4);
    expect(stats.topologyDeclarations).toBe(stats.connections);
    // Consumers resumed after the last forced close, not just before the first.
    const afterLastClose = [...deliveriesByConnection].filter(([gen]) => gen >= 4).reduce((sum, [, n]) => sum + n, 0);
    expect(afterLastClose).toBeGreaterThan(0);
  });

  it('redeclares deleted topology after a reconnect, and the consumer comes back', async () => {
    const name = `redeclare-${suffix()}`;
    const transport = await open(name);
    const exchange = `t.redeclare.${suffix()}`;
    const binding = rabbitBinding('in', { destination: exchange, group: 'g' });
    const out = rabbitBinding('out', { destination: exchange });
    cleanup.push(binding);
    const seen: string[] = [];
    await transport.subscribe(binding, (m) => {
      seen.push(m.id);
    });
    await transport.publish(out, [message('before')]);
    await waitFor('first message', () => seen.includes('before'));

    // Someone deletes the queue and the exchange behind our back; publishing now fails…
    await deleteAll({ queues: queuesOf(binding), exchanges: [exchange] });
    await expect(transport.publish(out, [message('lost')])).rejects.toMatchObject({ code: 'EVENTFOLD_PUBLISH_REJECTED' });
    // …until the connection is recovered, which declares everything again.
    expect(await closeConnectionsNamed(name)).toBe(1);
    await waitFor('reconnect', () => transport.stats().connections === 2);
    await waitFor('publish after redeclare', () =>
      transport.publish(out, [message('after')]).then(
        () => true,
        () => false,
      ),
    );
    await waitFor('consumer on the recreated queue', () => seen.includes('after'));
    expect(transport.stats().topologyDeclarations).toBe(transport.stats().connections);
  });

  it('recovers from rabbitmqctl close_all_connections too', async () => {
    const name = `close-all-${suffix()}`;
    // close_all_connections drops every client of the broker: wait (bounded) until the other test
    // files running in parallel are done with theirs, so this test hurts nobody.
    const deadline = Date.now() + 60_000;
    while ((await connectionNames()).some((n) => !n.startsWith('recovery-') && !n.startsWith('redeclare-')) && Date.now() < deadline) {
      await sleep(1_000);
    }
    const transport = await open(name);
    const exchange = `t.closeall.${suffix()}`;
    const binding = rabbitBinding('in', { destination: exchange, group: 'g' });
    const out = rabbitBinding('out', { destination: exchange });
    cleanup.push(binding);
    const seen = new Set<string>();
    await transport.subscribe(binding, (m) => {
      seen.add(m.id);
    });
    const publishing = transport.publish(
      out,
      Array.from({ length: 500 }, (_, i) => message(`a-${i}`)),
    );
    await rabbitmqctl('close_all_connections', 'test');
    await publishing;
    await transport.publish(out, [message('after')]);
    await waitFor('all consumed', () => seen.size === 501);
    expect(transport.stats().connections).toBeGreaterThanOrEqual(2);
  });
});
