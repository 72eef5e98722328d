/**
 * The whole orchestrated shop as one process over PostgreSQL, for the crash test:
 *   node --conditions=@eventfold/source --import tsx sagaRunnerProcess.ts <url> <schema>
 * Saga runner (checkpointed log + durable timers), outbox relay of saga commands into the store
 * transport, and the fake services consuming them. SIGKILL at any moment loses nothing: each part
 * resumes from its checkpoint and the saga log, services and inboxes absorb the repeats.
 */
import { createRelay, createSagaRunner, createStoreTransport, defineBinding, readSagaCommand, runInMessageContext, sagaCommandRoute } from '@eventfold/core';
import { createPostgresEventStore } from '../../../../packages/postgres/src/createPostgresEventStore.js';
import { createPostgresTimerStore } from '../../../../packages/postgres/src/timers/createPostgresTimerStore.js';
import type { ShopCommand } from '../messages.js';
import { defineOrderFulfilment } from '../orchestration/orderFulfilmentSaga.js';
import { createShopServices } from '../services/createShopServices.js';

const [url, schema] = process.argv.slice(2);
if (!url || !schema) {
  console.error('usage: sagaRunnerProcess.ts <postgres-url> <schema>');
  process.exit(2);
}
const store = await createPostgresEventStore({ connectionString: url, schema, maxConnections: 8 });
const services = createShopServices(store);
// Long timeouts: this test is about crashes, not slowness; a 2-core CI box under load must not time steps out.
const saga = defineOrderFulfilment({ paymentMs: 600_000, stockMs: 600_000, shippingMs: 600_000, compensationMs: 600_000 });
const timers = await createPostgresTimerStore({ store });
const transport = createStoreTransport({ store, pollIntervalMs: 20 });
const names = ['payments', 'inventory', 'shipping'] as const;
const bindings = names.map((name) =>
  defineBinding(name, {
    binder: 'inproc',
    destination: `${name}-commands`,
    group: name,
    consumer: { concurrency: 4, retry: { maxAttempts: 20, initialDelayMs: 50 } },
  }),
);

for (const binding of bindings) {
  await transport.subscribe(binding, async (message) => {
    const command = readSagaCommand(message);
    await runInMessageContext(
      { messageId: command.commandId, correlationId: command.correlationId ?? command.commandId, causationId: command.causationId, headers: {} },
      () => services.handle({ type: command.type, data: command.data } as ShopCommand),
    );
  });
}
const relay = createRelay({
  name: 'saga-commands',
  store,
  transport,
  routes: bindings.map((binding) => sagaCommandRoute(binding, { to: binding.name })),
  batchSize: 100,
  pollIntervalMs: 20,
  retryDelayMs: 100,
});
const runner = createSagaRunner({ store, saga, timers, batchSize: 100, pollIntervalMs: 20, retryDelayMs: 100 });
const stop = async () => {
  await Promise.all([runner.stop(), relay.stop()]);
  await transport.close();
  await store.close();
};
process.once('SIGTERM', () => void stop());
void relay.start();
void runner.start();
console.log('ready');
await Promise.all([runner.done, relay.done]).catch((error: unknown) => {
  console.error('saga process failed:', error);
  process.exitCode = 1;
});
