/**
 * The in-memory transport: for unit tests, and for one-process setups that accept losing in-flight
 * messages on a crash. Groups keep their unacknowledged messages in memory; per-key order, in-process
 * retries with backoff and a dead-letter list per group follow the same contract as the brokers.
 * For an embedded setup that must survive crashes, consume the store itself through checkpointed
 * subscriptions instead (see docs/messaging.md).
 */
import { type Clock, systemClock } from '../clock.js';
import { EventfoldError } from '../errors.js';
import { type Binding, requireGroup } from './bindings.js';
import { copyMessage, type DeadLetter, type DeadLetterQueue } from './deadLetter.js';
import { MemoryGroup } from './internal/memoryGroup.js';
import { assertOutgoingMessage, type MessageHandler, type OutgoingMessage } from './message.js';
import { createRetryPolicy } from './retryPolicy.js';
import { type Sleep, systemSleep } from './timers.js';
import type { ConsumeOptions, Consumer, Transport } from './transport.js';

export interface InMemoryTransportOptions {
  clock?: Clock;
  /** How retry waits happen; pass `createManualTimers().sleep` in tests. */
  sleep?: Sleep;
  /** Uniform in [0, 1) for retry jitter. Default Math.random. */
  random?: () => number;
  /** Binder name bindings select it by. Default 'memory'. */
  binder?: string;
}

export interface InMemoryTransport extends Transport {
  /** Messages published to the group and not yet handed to a handler (0 for an unknown group). */
  pending(binding: Binding): number;
}

/**
 * @example
 * const transport = createInMemoryTransport();
 * const consumer = await transport.subscribe(bindings.ordersIn, async (message) => { … });
 * await transport.publish(bindings.ordersOut, [message]);
 */
export function createInMemoryTransport(options: InMemoryTransportOptions = {}): InMemoryTransport {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const random = options.random ?? Math.random;
  const destinations = new Map<string, Map<string, MemoryGroup>>();
  const consumers = new Set<Consumer>();
  let deadLetterCounter = 0;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The in-memory transport is closed; create a new one.');
  };
  const groupsOf = (destination: string) => {
    let groups = destinations.get(destination);
    if (groups === undefined) {
      groups = new Map();
      destinations.set(destination, groups);
    }
    return groups;
  };
  const groupOf = (binding: Binding): MemoryGroup => {
    const name = requireGroup(binding);
    const groups = groupsOf(binding.destination);
    let group = groups.get(name);
    if (group === undefined) {
      group = new MemoryGroup(binding.destination, name, { clock, sleep, nextDeadLetterId: () => String(++deadLetterCounter) });
      groups.set(name, group);
    }
    return group;
  };
  const deliver = (destination: string, messages: readonly OutgoingMessage[]) => {
    for (const group of groupsOf(destination).values()) {
      for (const message of messages) group.enqueue(message);
    }
  };
  /** Dead letters of the binding's group; looking does not create the group. */
  const lettersOf = (binding: Binding): DeadLetter[] => destinations.get(binding.destination)?.get(requireGroup(binding))?.deadLetters ?? [];
  const select = (binding: Binding, ids: readonly string[] | undefined): DeadLetter[] => {
    const list = lettersOf(binding);
    return ids === undefined ? [...list] : list.filter((d) => ids.includes(d.deadLetterId));
  };
  const remove = (binding: Binding, chosen: readonly DeadLetter[]) => {
    const list = lettersOf(binding);
    for (const d of chosen) list.splice(list.indexOf(d), 1);
  };

  const deadLetters: DeadLetterQueue = {
    async list(binding, listOptions = {}) {
      return lettersOf(binding).slice(0, listOptions.limit ?? 100);
    },
    async inspect(binding, id) {
      return lettersOf(binding).find((d) => d.deadLetterId === id);
    },
    async replay(binding, ids) {
      assertOpen();
      const chosen = select(binding, ids);
      remove(binding, chosen);
      for (const d of chosen) deliver(d.origin, [d.message]);
      return chosen.length;
    },
    async purge(binding, ids) {
      const chosen = select(binding, ids);
      remove(binding, chosen);
      return chosen.length;
    },
  };

  return {
    binder: options.binder ?? 'memory',
    async provision(binding) {
      assertOpen();
      groupsOf(binding.destination);
      if (binding.group !== undefined) groupOf(binding);
    },
    async publish(binding, messages) {
      assertOpen();
      messages.forEach((message, i) => {
        assertOutgoingMessage(message, `messages[${i}]`);
      });
      // Copy so a caller reusing its buffers cannot change what consumers see.
      deliver(
        binding.destination,
        messages.map((m) => ({ ...copyMessage(m), body: Uint8Array.from(m.body) })),
      );
    },
    async subscribe(binding: Binding, handler: MessageHandler, consumeOptions: ConsumeOptions = {}) {
      assertOpen();
      const policy = createRetryPolicy(binding.consumer?.retry, { random });
      const consumer = groupOf(binding).join({ binding, handler, policy, options: consumeOptions });
      consumers.add(consumer);
      void consumer.done.then(() => consumers.delete(consumer));
      return consumer;
    },
    deadLetters,
    pending(binding) {
      return destinations.get(binding.destination)?.get(binding.group ?? '')?.pendingCount ?? 0;
    },
    async close() {
      closed = true;
      await Promise.all([...consumers].map((c) => c.stop()));
    },
  };
}
