/**
 * Moving a deployment off the store transport (e.g. embedded mode onto the direct transport): the
 * relay already published what sits in the store transport's `$inproc/…` streams and checkpointed past
 * it, so messages a consumer group had not consumed yet would be lost by the switch. This hands them to
 * the handlers first, then forgets the groups, so later starts have nothing to scan.
 */
import { type Clock, systemClock } from '../clock.js';
import { START } from '../envelope.js';
import type { EventStore } from '../eventStore.js';
import { type Binding, requireGroup } from './bindings.js';
import { checkpointName, destinationPrefix } from './internal/storeMessageCodec.js';
import type { MessageHandler } from './message.js';
import { createStoreTransport } from './storeTransport.js';

export interface DrainStoreTransportOptions {
  store: Pick<EventStore, 'appendToStream' | 'readStream' | 'readAll' | 'headPosition' | 'checkpoints'>;
  /** The consumer bindings (with groups) and the handlers that take over their messages. */
  subscriptions: readonly { binding: Binding; handler: MessageHandler }[];
  clock?: Clock;
  /** How often to look at the groups' progress while draining, in ms. Default 20. */
  pollIntervalMs?: number;
}

/** Whether the group has store-transport messages after its checkpoint (scans the log once, from there). */
async function hasBacklog(store: DrainStoreTransportOptions['store'], binding: Binding, from: bigint): Promise<boolean> {
  const prefix = destinationPrefix(binding.destination);
  for (let after = from; ; ) {
    const events = await store.readAll({ after, maxCount: 1000 });
    if (events.some((e) => e.streamId.startsWith(prefix))) return true;
    const last = events[events.length - 1];
    if (last === undefined) return false;
    after = last.globalPosition;
  }
}

/**
 * @example
 * await drainStoreTransport({ store, subscriptions: [{ binding: bindings.paymentsIn, handler }] });
 * const transport = createDirectTransport({ store }); // from now on
 */
export async function drainStoreTransport(options: DrainStoreTransportOptions): Promise<{ drainedGroups: number }> {
  const { store } = options;
  const known: { binding: Binding; handler: MessageHandler; checkpoint: string; position: bigint }[] = [];
  for (const sub of options.subscriptions) {
    const checkpoint = checkpointName(sub.binding.destination, requireGroup(sub.binding));
    const position = await store.checkpoints.load(checkpoint);
    if (position !== undefined) known.push({ ...sub, checkpoint, position });
  }
  if (known.length === 0) return { drainedGroups: 0 };
  const pending = [];
  for (const group of known) if (await hasBacklog(store, group.binding, group.position ?? START)) pending.push(group);
  if (pending.length > 0) {
    const head = await store.headPosition();
    const transport = createStoreTransport({ store, clock: options.clock ?? systemClock, pollIntervalMs: options.pollIntervalMs ?? 20 });
    try {
      const consumers = await Promise.all(pending.map((group) => transport.subscribe(group.binding, group.handler)));
      // Each group's checkpoint reaches the head as of now once everything before it is handled or dead-lettered.
      for (const group of pending) {
        while (((await store.checkpoints.load(group.checkpoint)) ?? START) < head) {
          await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 20));
        }
      }
      await Promise.all(consumers.map((c) => c.stop()));
    } finally {
      await transport.close();
    }
  }
  for (const group of known) await store.checkpoints.delete(group.checkpoint);
  return { drainedGroups: pending.length };
}
