/** Routing per exchange type as AMQP 0-9-1 specifies, and priority queues, against the real broker. */
import { type Binding, isEventfoldError } from '@eventfold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqTransport, type RabbitMqTransport } from './index.js';
import { deleteAll, message, peekIds, queuesOf, RABBITMQ_URL, rabbitBinding, suffix } from './test/rabbitTestKit.js';

let transport: RabbitMqTransport;
const created: Binding[] = [];

beforeAll(async () => {
  transport = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: `routing-${suffix()}` });
});

afterAll(async () => {
  await transport.close();
  await deleteAll({ queues: created.flatMap((b) => queuesOf(b)), exchanges: [...new Set(created.map((b) => b.destination))] });
});

async function provisionGroups(exchange: string, groups: Record<string, Omit<NonNullable<Binding['rabbitmq']>, never>>): Promise<Record<string, Binding>> {
  const out: Record<string, Binding> = {};
  for (const [group, rabbitmq] of Object.entries(groups)) {
    const binding = rabbitBinding(`${group}In`, { destination: exchange, group, rabbitmq });
    created.push(binding);
    await transport.provision(binding);
    out[group] = binding;
  }
  return out;
}

/** A publishing binding whose routing key is the message key. */
function out(exchange: string, exchangeType: 'direct' | 'fanout' | 'topic' | 'headers'): Binding {
  return rabbitBinding('out', { destination: exchange, rabbitmq: { exchangeType, routingKey: (m) => m.key } });
}

async function publishRejected(binding: Binding, id: string, overrides: Parameters<typeof message>[1]): Promise<unknown> {
  return transport.publish(binding, [message(id, overrides)]).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('routing', () => {
  it('direct: a message goes to the queues bound with exactly its routing key; an unroutable one is rejected', async () => {
    const exchange = `t.direct.${suffix()}`;
    const q = await provisionGroups(exchange, {
      eu: { exchangeType: 'direct', bindingKeys: ['eu'] },
      us: { exchangeType: 'direct', bindingKeys: ['us', 'eu'] },
    });
    const o = out(exchange, 'direct');
    await transport.publish(o, [message('m-eu', { key: 'eu' }), message('m-us', { key: 'us' })]);
    const error = await publishRejected(o, 'm-asia', { key: 'asia' });
    expect(isEventfoldError(error, 'EVENTFOLD_PUBLISH_REJECTED')).toBe(true);
    expect(await peekIds(`${exchange}.eu`)).toEqual(['m-eu']);
    expect(await peekIds(`${exchange}.us`)).toEqual(['m-eu', 'm-us']);
    expect(q.eu).toBeDefined();
  });

  it('fanout: every bound queue gets every message, whatever the routing key', async () => {
    const exchange = `t.fanout.${suffix()}`;
    await provisionGroups(exchange, { a: { exchangeType: 'fanout' }, b: { exchangeType: 'fanout' } });
    const o = out(exchange, 'fanout');
    await transport.publish(o, [message('f1', { key: 'x' }), message('f2', { key: 'y.z' })]);
    expect(await peekIds(`${exchange}.a`)).toEqual(['f1', 'f2']);
    expect(await peekIds(`${exchange}.b`)).toEqual(['f1', 'f2']);
  });

  it('topic: * matches exactly one word, # zero or more', async () => {
    const exchange = `t.topic.${suffix()}`;
    await provisionGroups(exchange, {
      star: { exchangeType: 'topic', bindingKeys: ['order.*'] },
      hash: { exchangeType: 'topic', bindingKeys: ['order.#'] },
      created: { exchangeType: 'topic', bindingKeys: ['*.created'] },
      middle: { exchangeType: 'topic', bindingKeys: ['order.#.shipped'] },
    });
    const o = out(exchange, 'topic');
    await transport.publish(o, [
      message('t1', { key: 'order.created' }),
      message('t2', { key: 'order.eu.created' }),
      message('t3', { key: 'order' }),
      message('t4', { key: 'payment.created' }),
      message('t5', { key: 'order.shipped' }),
      message('t6', { key: 'order.eu.fast.shipped' }),
    ]);
    expect(isEventfoldError(await publishRejected(o, 't7', { key: 'payment.eu.created' }), 'EVENTFOLD_PUBLISH_REJECTED')).toBe(true);
    expect(await peekIds(`${exchange}.star`)).toEqual(['t1', 't5']);
    expect(await peekIds(`${exchange}.hash`)).toEqual(['t1', 't2', 't3', 't5', 't6']);
    expect(await peekIds(`${exchange}.created`)).toEqual(['t1', 't4']);
    expect(await peekIds(`${exchange}.middle`)).toEqual(['t5', 't6']);
  });

  it('headers: x-match all needs every bound header, any needs one; the routing key is ignored', async () => {
    const exchange = `t.headers.${suffix()}`;
    await provisionGroups(exchange, {
      all: { exchangeType: 'headers', bindingArguments: { 'x-match': 'all', region: 'eu', tier: 'gold' } },
      any: { exchangeType: 'headers', bindingArguments: { 'x-match': 'any', region: 'eu', tier: 'gold' } },
    });
    const o = out(exchange, 'headers');
    await transport.publish(o, [
      message('h1', { key: 'ignored', headers: { region: 'eu', tier: 'gold' } }),
      message('h2', { key: 'ignored', headers: { region: 'eu', tier: 'silver' } }),
      message('h3', { key: 'ignored', headers: { region: 'us', tier: 'gold', extra: '1' } }),
    ]);
    expect(isEventfoldError(await publishRejected(o, 'h4', { headers: { region: 'us' } }), 'EVENTFOLD_PUBLISH_REJECTED')).toBe(true);
    expect(await peekIds(`${exchange}.all`)).toEqual(['h1']);
    expect(await peekIds(`${exchange}.any`)).toEqual(['h1', 'h2', 'h3']);
  });

  it('a classic priority queue delivers higher priority first', async () => {
    const exchange = `t.prio.${suffix()}`;
    const { p } = await provisionGroups(exchange, { p: { exchangeType: 'fanout', queueType: 'classic', maxPriority: 10 } });
    const o = out(exchange, 'fanout');
    await transport.publish(o, [
      message('low-1', { priority: 1 }),
      message('none'),
      message('high-9', { priority: 9 }),
      message('mid-5', { priority: 5 }),
      message('low-2', { priority: 1 }),
    ]);
    const seen: string[] = [];
    const binding = rabbitBinding('pIn', { destination: exchange, group: 'p', rabbitmq: p?.rabbitmq, consumer: { concurrency: 1, maxInFlight: 1 } });
    const consumer = await transport.subscribe(binding, (m) => {
      seen.push(m.id);
    });
    while (seen.length < 5) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    expect(seen).toEqual(['high-9', 'mid-5', 'low-1', 'low-2', 'none']);
  });

  it('with rejectUnroutable: false, an unroutable message is confirmed and dropped, as RabbitMQ does', async () => {
    const lenient = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: `routing-lenient-${suffix()}`, rejectUnroutable: false });
    try {
      const exchange = `t.lenient.${suffix()}`;
      created.push(rabbitBinding('x', { destination: exchange, group: 'none' }));
      await lenient.publish(out(exchange, 'direct'), [message('nowhere', { key: 'no-such-key' })]);
    } finally {
      await lenient.close();
    }
  });

  it('rejects a priority on a quorum queue before touching the broker', async () => {
    const binding = rabbitBinding('bad', { destination: `t.bad.${suffix()}`, group: 'g', rabbitmq: { maxPriority: 5 } });
    await expect(transport.provision(binding)).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
  });
});
