/**
 * An outbox relay as its own process, PostgreSQL → Kafka, for the kill test:
 *   node --conditions=@eventfold/source --import tsx relayProcess.ts <pgUrl> <sourceSchema> <topic> <owner> [confirmLatencyMs]
 * Relays every event of the source store to <topic> (key = stream id). Reports over IPC `acked` when
 * the broker acknowledged a batch and `to:<position>` once it is checkpointed. SIGTERM stops it cleanly; after SIGKILL the next process resumes from the checkpoint.
 */
import { defineBinding, runRelay, type Transport } from '@eventfold/core';
import { createPostgresEventStore, createPostgresRelayLease } from '@eventfold/postgres';
import { createKafkaTransport } from '../createKafkaTransport.js';
import { kafkaTestOptions } from './kafkaTestKit.js';

const [url, sourceSchema, topic, owner, latency] = process.argv.slice(2);
if (!url || !sourceSchema || !topic || !owner) {
  console.error('usage: relayProcess.ts <pgUrl> <sourceSchema> <topic> <owner> [confirmLatencyMs]');
  process.exit(2);
}
const source = await createPostgresEventStore({ connectionString: url, schema: sourceSchema, maxConnections: 3 });
const kafka = createKafkaTransport(kafkaTestOptions());
// Extra wait after the broker's ack: widens the window where a kill leaves a batch published but not checkpointed.
const latencyMs = Number(latency ?? 0);
const transport: Pick<Transport, 'publish'> = {
  async publish(binding, messages) {
    await kafka.publish(binding, messages);
    process.send?.('acked');
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  },
};
const ordersOut = defineBinding('orders-out', { binder: 'kafka', destination: topic });

const relay = runRelay({
  name: 'orders-relay',
  owner,
  store: source,
  transport,
  routes: [{ binding: ordersOut }],
  lease: await createPostgresRelayLease({ store: source }),
  leaseTtlMs: 2_000,
  batchSize: 200,
  pollIntervalMs: 20,
  onPublished: (batch) => process.send?.(`to:${batch.to}`),
});
process.send?.('ready');
await relay.done;
await kafka.close();
await source.close();
