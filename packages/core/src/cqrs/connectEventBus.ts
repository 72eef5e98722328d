/**
 * Feeds an event bus from the store's global log through a checkpointed subscription, so in
 * embedded mode event handlers are as durable as the store: a restart resumes after the last
 * event handled (at-least-once; make handlers idempotent or keep their effects in the store).
 */
import type { GlobalPosition } from '../envelope.js';
import type { EventStore } from '../eventStore.js';
import { noUpcasters, type UpcasterRegistry } from '../eventsourcing/defineUpcasters.js';
import type { Subscription } from '../subscription.js';
import type { EventBus } from './createEventBus.js';

export interface ConnectEventBusOptions {
  /** Checkpoint name of this connection. */
  name: string;
  upcasters?: UpcasterRegistry;
  batchSize?: number;
  pollIntervalMs?: number;
}

/**
 * @example
 * const connection = await connectEventBus(store, events, { name: 'notifications' });
 * await connection.stop();
 */
export async function connectEventBus(store: EventStore, bus: EventBus, options: ConnectEventBusOptions): Promise<Subscription> {
  const upcasters = options.upcasters ?? noUpcasters;
  let checkpoint: GlobalPosition | null = (await store.checkpoints.load(options.name)) ?? null;
  return store.subscribe({
    ...(checkpoint !== null ? { after: checkpoint } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    handler: async (event) => {
      await bus.publish(upcasters.upcast(event));
      await store.checkpoints.store(options.name, event.globalPosition, { expected: checkpoint });
      checkpoint = event.globalPosition;
    },
  });
}
