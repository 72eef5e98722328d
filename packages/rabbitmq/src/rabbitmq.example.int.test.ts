/** The quick start of docs/rabbitmq.md, run against the real broker (names get a random suffix here). */
import { createInMemoryInbox, createJsonSerde, defineBindings, encodeJsonMessage, withJsonSerde } from '@eventfold/core';
import { expect, it } from 'vitest';
import { createRabbitMqTransport } from './index.js';
import { deleteAll, queuesOf, RABBITMQ_URL, suffix, waitFor } from './test/rabbitTestKit.js';

it('docs/rabbitmq.md quick start', async () => {
  const destination = `shop.orders.${suffix()}`;
  // --- from the guide ---
  const bindings = defineBindings({
    ordersOut: { binder: 'rabbitmq', destination, rabbitmq: { exchangeType: 'topic' } },
    ordersIn: {
      binder: 'rabbitmq',
      destination,
      group: 'billing',
      rabbitmq: { exchangeType: 'topic', bindingKeys: ['OrderPlaced', 'OrderCancelled'], queueType: 'quorum' },
      consumer: { concurrency: 8, retry: { maxAttempts: 5, initialDelayMs: 100 } },
    },
  });
  const transport = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: 'billing-service' });
  await transport.provision(bindings.ordersIn);

  const serde = createJsonSerde({ types: { OrderPlaced: [1] } });
  const inbox = createInMemoryInbox();
  const totals = new Map<string, number>();
  const consumer = await transport.subscribe(
    bindings.ordersIn,
    inbox.handler(
      withJsonSerde(serde, (message) => {
        const { orderId, amount } = message.data as { orderId: string; amount: number };
        totals.set(orderId, amount);
      }),
    ),
  );

  await transport.publish(bindings.ordersOut, [
    encodeJsonMessage({ id: 'evt-1', type: 'OrderPlaced', key: 'order-1', data: { orderId: 'order-1', amount: 42 } }),
  ]);
  // --- end ---
  try {
    await waitFor('the order total', () => totals.get('order-1') === 42);
    expect(await transport.deadLetters.list(bindings.ordersIn)).toEqual([]);
  } finally {
    await consumer.stop();
    await transport.close();
    await deleteAll({ queues: queuesOf(bindings.ordersIn), exchanges: [destination] });
  }
});
