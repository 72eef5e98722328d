/**
 * The direct transport: one process, publisher and consumers side by side, for a relay over a
 * durable event log. `publish` hands the messages straight to every group provisioned on the
 * destination and resolves only once each group has handled or dead-lettered (durably, in the store)
 * every one of them. The relay moves its checkpoint only after that, so the log plus the relay's
 * checkpoint are the durable copy: a crash re-relays what was not fully handled, and consumers dedupe
 * (at-least-once, like every binder). Nothing is written per message — the store transport writes
 * each message to the store and reads it back once per group.
 *
 * Not a general-purpose transport: `publish` waits for consumers, so it suits a relay (or another
 * publisher that can wait), not a request handler. Per-key order, concurrency, retries and
 * dead-lettering follow the same contract as the other binders; dead letters use the store
 * transport's layout, so either transport lists and replays the other's letters.
 */
import { type Clock, systemClock } from '../clock.js';
import { EventfoldError, InvalidInputError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { type Binding, defineBinding, requireGroup } from './bindings.js';
import { copyMessage, type DeadLetter } from './deadLetter.js';
import { MemoryGroup } from './internal/memoryGroup.js';
import { createStoreDeadLetters } from './internal/storeDeadLetters.js';
import { DEAD_LETTERED, deadLetterStream, messageToEvent } from './internal/storeMessageCodec.js';
import { assertOutgoingMessage, type OutgoingMessage } from './message.js';
import { createRetryPolicy } from './retryPolicy.js';
import { type Sleep, systemSleep } from './timers.js';
import type { Consumer, Transport } from './transport.js';

export interface DirectTransportOptions {
  /** Where dead letters are kept (streams `$inproc-dlq/…`): the application's event store. */
  store: Pick<EventStore, 'appendToStream' | 'readStream'>;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
  /** Binder name. Default 'inproc'. */
  binder?: string;
}

/** Counts one publish call's deliveries down to zero. */
class Delivery {
  private remaining = 0;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  readonly done = new Promise<void>((resolve, reject) => {
    this.settle = { resolve, reject };
  });
  expect(count: number): void {
    this.remaining += count;
  }
  settled(): void {
    this.remaining -= 1;
    if (this.remaining === 0) this.settle.resolve();
  }
  fail(error: unknown): void {
    this.settle.reject(error);
  }
  get open(): boolean {
    return this.remaining > 0;
  }
}

/**
 * @example
 * const transport = createDirectTransport({ store });
 * const relay = createRelay({ name: 'app-relay', store, transport, routes });
 */
export function createDirectTransport(options: DirectTransportOptions): Transport {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const random = options.random ?? Math.random;
  const destinations = new Map<string, Map<string, MemoryGroup>>();
  const consumers = new Set<Consumer>();
  const open = new Set<Delivery>();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The direct transport is closed; create a new one.');
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
      const stream = deadLetterStream(binding.destination, name);
      group = new MemoryGroup(binding.destination, name, {
        clock,
        sleep,
        nextDeadLetterId: () => '',
        deadLetterSink: async (record) => {
          await store.appendToStream(stream, [messageToEvent(record, DEAD_LETTERED)]);
        },
        onSettled: (tag) => (tag as Delivery).settled(),
      });
      groups.set(name, group);
    }
    return group;
  };
  /** Hands messages to groups and resolves when every group settled every message. */
  const deliver = async (groups: readonly MemoryGroup[], messages: readonly OutgoingMessage[]) => {
    if (groups.length === 0 || messages.length === 0) return;
    const delivery = new Delivery();
    delivery.expect(groups.length * messages.length);
    open.add(delivery);
    try {
      // Copy once, so a caller reusing its buffers cannot change what consumers see.
      const copies = messages.map((m) => ({ ...copyMessage(m), body: Uint8Array.from(m.body) }));
      for (const group of groups) for (const m of copies) group.enqueue(m, delivery);
      await delivery.done;
    } finally {
      open.delete(delivery);
    }
  };
  const redeliver = async (binding: Binding, letter: DeadLetter) => {
    const group = groupOf(binding);
    if (group.memberCount === 0) {
      throw new InvalidInputError('binding', `no consumer of "${binding.name}" runs in this process; replay its dead letters where it is subscribed.`);
    }
    await deliver([group], [letter.message]);
  };

  return {
    binder: options.binder ?? 'inproc',
    async provision(binding) {
      assertOpen();
      defineBinding(binding.name, binding);
      groupsOf(binding.destination);
      if (binding.group !== undefined) groupOf(binding);
    },
    async publish(binding, messages) {
      assertOpen();
      messages.forEach((message, i) => {
        assertOutgoingMessage(message, `messages[${i}]`);
      });
      await deliver([...groupsOf(binding.destination).values()], messages);
    },
    async subscribe(binding, handler, consumeOptions = {}) {
      assertOpen();
      const policy = createRetryPolicy(binding.consumer?.retry, { random });
      const consumer = groupOf(binding).join({ binding, handler, policy, options: consumeOptions });
      consumers.add(consumer);
      void consumer.done.then(() => consumers.delete(consumer));
      return consumer;
    },
    deadLetters: createStoreDeadLetters({ store, assertOpen, redeliver }),
    async close() {
      closed = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      // What was not handled stays unacknowledged: the publisher (the relay) does not checkpoint it.
      const error = new EventfoldError(
        'EVENTFOLD_TRANSPORT_CLOSED',
        'The direct transport closed before every consumer handled the messages; they are redelivered after a restart.',
      );
      for (const delivery of open) if (delivery.open) delivery.fail(error);
      for (const groups of destinations.values()) for (const group of groups.values()) group.clear();
    },
  };
}
