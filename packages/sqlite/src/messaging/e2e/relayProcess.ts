/**
 * A relay as its own process, for the kill tests (and the pattern docs/messaging.md shows):
 *   node --conditions=@eventfold/source --import tsx relayProcess.ts <source.db> <transport.db> <owner> [confirmLatencyMs]
 * It relays every event of the source store to the `orders` destination of a store transport on a
 * second file. SIGTERM stops it cleanly; SIGKILL loses nothing — the next process resumes from the
 * checkpoint. A stable owner id lets a restarted process take its own lease back at once.
 */
import { createStoreTransport, defineBinding, runRelay, type Transport } from '@eventfold/core';
import { createSqliteEventStore } from '../../createSqliteEventStore.js';
import { createSqliteRelayLease } from '../createSqliteRelayLease.js';

const [sourcePath, transportPath, owner, latency] = process.argv.slice(2);
if (!sourcePath || !transportPath || !owner) {
  console.error('usage: relayProcess.ts <source.db> <transport.db> <owner>');
  process.exit(2);
}
const source = createSqliteEventStore({ path: sourcePath });
const target = createSqliteEventStore({ path: transportPath });
const inner = createStoreTransport({ store: target });
// Optional broker-like confirm latency: the messages are stored, the confirmation takes a while. A
// kill in that window leaves the batch published but not checkpointed — the case the test must cover.
const latencyMs = Number(latency ?? 0);
const transport: Transport = {
  ...inner,
  async publish(binding, messages) {
    await inner.publish(binding, messages);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  },
};
const ordersOut = defineBinding('orders-out', { binder: 'inproc', destination: 'orders' });

const relay = runRelay({
  name: 'orders-relay',
  owner,
  store: source,
  transport,
  routes: [{ binding: ordersOut }],
  lease: createSqliteRelayLease({ database: source.db }),
  leaseTtlMs: 2_000,
  batchSize: 200,
  pollIntervalMs: 20,
});
process.send?.('ready');
await relay.done;
await transport.close();
await Promise.all([source.close(), target.close()]);
