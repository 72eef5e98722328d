/**
 * Store → relay → RabbitMQ → inbox, end to end on the real broker: events over 50 streams keep being
 * appended and relayed while the relay's connection is force-closed; the consumer's read model equals
 * the store (per-stream order kept, nothing lost, nothing applied twice thanks to the inbox).
 */
import { createInMemoryEventStore, createInMemoryInbox, createRelay, defineBindings } from '@eventfold/core';
import { afterAll, expect, it } from 'vitest';
import { createRabbitMqTransport, type RabbitMqTransport } from './index.js';
import { closeConnectionsNamed, deleteAll, queuesOf, RABBITMQ_URL, suffix, waitFor } from './test/rabbitTestKit.js';

const destination = `t.relay.${suffix()}`;
const bindings = defineBindings({
  ordersOut: { binder: 'rabbitmq', destination },
  ordersIn: { binder: 'rabbitmq', destination, group: 'read-model', consumer: { concurrency: 8 } },
});
const transports: RabbitMqTransport[] = [];

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await deleteAll({ queues: queuesOf(bindings.ordersIn), exchanges: [destination] });
});

it('relays events appended during a forced reconnect: read model equals the store, per-stream order kept', async () => {
  const name = `relay-${suffix()}`;
  const transport = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: name, reconnect: { initialDelayMs: 50 } });
  transports.push(transport);
  await transport.provision(bindings.ordersIn);

  const store = createInMemoryEventStore();
  const streams = 50;
  let rounds = 0;
  const appendRound = async () => {
    for (let s = 0; s < streams; s++) await store.appendToStream(`order-${s}`, [{ type: 'OrderLineAdded', data: { line: rounds } }]);
    rounds += 1;
  };
  for (let i = 0; i < 10; i++) await appendRound();

  const inbox = createInMemoryInbox();
  const readModel = new Map<string, number[]>();
  let applied = 0;
  await transport.subscribe(
    bindings.ordersIn,
    inbox.handler((m) => {
      const lines = readModel.get(m.key) ?? [];
      lines.push(Number(m.headers['eventfold-stream-position']));
      readModel.set(m.key, lines);
      applied += 1;
    }),
  );

  const relay = createRelay({
    name: `orders-relay-${suffix()}`,
    store,
    transport,
    routes: [{ binding: bindings.ordersOut }],
    batchSize: 100,
    retryDelayMs: 100,
  });
  const running = relay.start();
  await waitFor('a first part relayed', () => applied >= 300);
  // Keep appending while rabbitmqctl drops the relay's connection and it comes back.
  const closing = closeConnectionsNamed(name);
  while (transport.stats().connections < 2) {
    await appendRound();
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 5; i++) await appendRound();
  expect(await closing).toBe(1);
  const perStream = rounds;
  await waitFor('everything applied', () => applied >= streams * perStream, 60_000).catch(() => {});
  await relay.stop();
  await running;

  expect(applied).toBe(streams * perStream);
  for (let s = 0; s < streams; s++) {
    expect(readModel.get(`order-${s}`), `stream order-${s}`).toEqual(Array.from({ length: perStream }, (_, i) => i + 1));
  }
  console.log(
    `[relay] ${streams * perStream} events relayed across ${transport.stats().connections} connections, republished=${transport.stats().republished}`,
  );
});
