/**
 * The quick start of docs/messaging.md, compiled and run: store → relay → transport → inbox →
 * read model. Keep the two in step.
 */
import { expect, it } from 'vitest';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { defineBindings } from './bindings.js';
import { createRelay } from './createRelay.js';
import { createInMemoryInbox } from './inMemoryInbox.js';
import { createInMemoryTransport } from './inMemoryTransport.js';
import { createJsonSerde, withJsonSerde } from './jsonSerde.js';

it('docs/messaging.md quick start', async () => {
  // 1. Bindings, in one place.
  const bindings = defineBindings({
    ordersOut: { binder: 'memory', destination: 'shop.orders' },
    ordersIn: {
      binder: 'memory',
      destination: 'shop.orders',
      group: 'billing',
      consumer: { concurrency: 8, retry: { maxAttempts: 5, initialDelayMs: 100 } },
    },
  });
  const store = createInMemoryEventStore();
  const transport = createInMemoryTransport();
  await transport.provision(bindings.ordersIn);

  // 2. A consumer: decode, dedupe, apply.
  const totals = new Map<string, number>();
  const serde = createJsonSerde({ types: { OrderPlaced: [1] } });
  const inbox = createInMemoryInbox();
  await transport.subscribe(
    bindings.ordersIn,
    inbox.handler(
      withJsonSerde(serde, (message) => {
        const { total } = message.data as { total: number };
        totals.set(message.key, (totals.get(message.key) ?? 0) + total);
      }),
    ),
  );

  // 3. The relay publishes what the store committed (key = stream id), then checkpoints.
  const relay = createRelay({ name: 'orders-relay', store, transport, routes: [{ binding: bindings.ordersOut }] });
  await store.appendToStream('order-1', [{ type: 'OrderPlaced', data: { total: 30 } }]);
  await store.appendToStream('order-2', [{ type: 'OrderPlaced', data: { total: 12 } }]);
  await relay.runOnce(); // or: void relay.start() / runRelay(options) in a process of its own

  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(Object.fromEntries(totals)).toEqual({ 'order-1': 30, 'order-2': 12 });
});
