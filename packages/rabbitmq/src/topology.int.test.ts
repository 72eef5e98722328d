/** Topology on the real broker: virtual host from the URL, argument mismatches, single active consumer order and failover. */
import type { Binding } from '@eventfold/core';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqTransport, type RabbitMqTransport } from './index.js';
import { deleteAll, message, queuesOf, RABBITMQ_URL, rabbitBinding, rabbitmqctl, suffix, waitFor } from './test/rabbitTestKit.js';

const cleanup: Binding[] = [];
const transports: RabbitMqTransport[] = [];

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await deleteAll({ queues: cleanup.flatMap((b) => queuesOf(b)), exchanges: cleanup.map((b) => b.destination) });
});

async function queuesExist(url: string, queues: string[]): Promise<boolean[]> {
  const connection = await amqp.connect(url);
  try {
    const out: boolean[] = [];
    for (const queue of queues) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      out.push(
        await channel.checkQueue(queue).then(
          () => true,
          () => false,
        ),
      );
      await channel.close().catch(() => {});
    }
    return out;
  } finally {
    await connection.close();
  }
}

async function open(url = RABBITMQ_URL): Promise<RabbitMqTransport> {
  const transport = await createRabbitMqTransport({ url, connectionName: `topology-${suffix()}` });
  transports.push(transport);
  return transport;
}

describe('topology', () => {
  it('declares everything in the virtual host named by the URL path', async () => {
    const vhost = `eventfold-test-${suffix()}`;
    // One CLI start-up instead of two (add_vhost + set_permissions).
    await rabbitmqctl(
      'eval',
      `rabbit_vhost:add(<<"${vhost}">>, <<"eventfold-test">>), rabbit_auth_backend_internal:set_permissions(<<"guest">>, <<"${vhost}">>, <<".*">>, <<".*">>, <<".*">>, <<"eventfold-test">>).`,
    );
    try {
      const transport = await createRabbitMqTransport({ url: `${RABBITMQ_URL}/${vhost}`, connectionName: `vhost-${suffix()}` });
      try {
        expect(transport.vhost).toBe(vhost);
        const binding = rabbitBinding('in', { destination: 'orders', group: 'billing' });
        await transport.provision(binding);
        const seen: string[] = [];
        await transport.subscribe(binding, (m) => {
          seen.push(m.id);
        });
        await transport.publish(binding, [message('in-vhost')]);
        await waitFor('delivery inside the vhost', () => seen.includes('in-vhost'));
        // Passive declares: every queue exists in the vhost, none in the default one.
        expect(await queuesExist(`${RABBITMQ_URL}/${vhost}`, queuesOf(binding))).toEqual(queuesOf(binding).map(() => true));
        expect(await queuesExist(RABBITMQ_URL, queuesOf(binding))).toEqual(queuesOf(binding).map(() => false));
      } finally {
        await transport.close();
      }
    } finally {
      await rabbitmqctl('delete_vhost', vhost);
    }
  });

  it('fails start-up with a typed, retryable error when the broker refuses the credentials, without echoing the password', async () => {
    const error = await createRabbitMqTransport({
      url: 'amqp://guest:not-the-password@127.0.0.1:5672',
      reconnect: { initialAttempts: 2, initialDelayMs: 10 },
    }).then(
      (t) => t.close().then(() => undefined),
      (e: unknown) => e as { code: string; retryable: boolean; message: string },
    );
    expect(error).toMatchObject({ code: 'EVENTFOLD_TRANSPORT_UNAVAILABLE', retryable: true });
    expect(error?.message).toMatch(/ACCESS.REFUSED|403/);
    expect(error?.message).not.toContain('not-the-password');
  });

  it('turns a queue that exists with other arguments (406) into a typed error naming the queue and the fix', async () => {
    const transport = await open();
    const destination = `t.mismatch.${suffix()}`;
    const quorum = rabbitBinding('in', { destination, group: 'g', rabbitmq: { queueType: 'quorum' } });
    cleanup.push(quorum);
    await transport.provision(quorum);
    const classic = rabbitBinding('in', { destination, group: 'g', rabbitmq: { queueType: 'classic' } });
    await expect(transport.provision(classic)).rejects.toMatchObject({
      code: 'EVENTFOLD_INVALID_INPUT',
      message: expect.stringMatching(new RegExp(`queue "${destination}\\.g".*406.*Delete it or make the binding's settings match`)),
    });
    // The transport keeps working after the failed declaration.
    await transport.publish(quorum, [message('still-fine')]);
  });

  it('single active consumer: one member gets everything in order; when it stops, the standby takes over', async () => {
    const first = await open();
    const second = await open();
    const binding = rabbitBinding('in', {
      destination: `t.sac.${suffix()}`,
      group: 'g',
      rabbitmq: { singleActiveConsumer: true },
      consumer: { concurrency: 4 },
    });
    cleanup.push(binding);
    const got = { first: [] as string[], second: [] as string[] };
    const perKey = new Map<string, number[]>();
    const record = (who: 'first' | 'second') => (m: { id: string; key: string; headers: Readonly<Record<string, string>> }) => {
      got[who].push(m.id);
      perKey.set(m.key, [...(perKey.get(m.key) ?? []), Number(m.headers.n)]);
    };
    const active = await first.subscribe(binding, record('first'));
    await second.subscribe(binding, record('second'));
    const batch1 = Array.from({ length: 100 }, (_, n) => message(`a-${n}`, { key: `k${n % 5}`, headers: { n: String(n) } }));
    await first.publish(binding, batch1);
    await waitFor('first batch', () => got.first.length + got.second.length >= 100);
    expect(got.second, 'the standby received messages while the active consumer was up').toEqual([]);

    await active.stop();
    const batch2 = Array.from({ length: 100 }, (_, i) => message(`b-${i}`, { key: `k${i % 5}`, headers: { n: String(100 + i) } }));
    await first.publish(binding, batch2);
    await waitFor('second batch on the standby', () => got.second.length >= 100);
    expect(got.second.every((id) => id.startsWith('b-'))).toBe(true);
    for (const [key, ns] of perKey) expect(ns, `order of ${key}`).toEqual([...ns].sort((x, y) => x - y));
  });
});
