/**
 * The store transport: the in-process transport of embedded mode, as durable as the store. Publish
 * appends the messages to the event store; each consumer group reads the store's log through its
 * own checkpointed subscription, so a crash loses nothing and a restart resumes where each group
 * stopped. Give it the application's store (one file, one backup) or a store of its own.
 * Streams it writes start with `$` (system streams); the relay skips them.
 */
import { type Clock, systemClock } from '../clock.js';
import { EventfoldError, isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { createNotifier } from '../subscription.js';
import { uuidv7 } from '../uuidv7.js';
import { type Binding, defineBinding, requireGroup } from './bindings.js';
import { createStoreDeadLetters } from './internal/storeDeadLetters.js';
import { StoreGroupRunner } from './internal/storeGroupRunner.js';
import { checkpointName, DEAD_LETTERED, deadLetterStream, destinationPrefix, messageToEvent } from './internal/storeMessageCodec.js';
import { assertOutgoingMessage, type OutgoingMessage } from './message.js';
import { createRetryPolicy } from './retryPolicy.js';
import { type Sleep, systemSleep } from './timers.js';
import type { Consumer, Transport } from './transport.js';

export interface StoreTransportOptions {
  store: Pick<EventStore, 'appendToStream' | 'readStream' | 'readAll' | 'headPosition' | 'checkpoints'>;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
  /** How often a group looks for messages published by other processes, in ms. Default 100. */
  pollIntervalMs?: number;
  /** Log entries read per query. Default 500. */
  batchSize?: number;
  /** Binder name. Default 'inproc'. */
  binder?: string;
  /** A group's reading failed (store unavailable: retried; anything else: the group stops). */
  onError?: (error: unknown) => void;
}

/**
 * @example
 * const store = createSqliteEventStore({ path: './data/shop.db' });
 * const transport = createStoreTransport({ store });
 */
export function createStoreTransport(options: StoreTransportOptions): Transport {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? systemSleep;
  const random = options.random ?? Math.random;
  const binder = options.binder ?? 'inproc';
  const published = createNotifier();
  const runners = new Map<string, StoreGroupRunner>();
  const consumers = new Set<Consumer>();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The store transport is closed; create a new one.');
  };
  const provisionGroup = async (binding: Binding) => {
    const name = checkpointName(binding.destination, requireGroup(binding));
    if ((await store.checkpoints.load(name)) !== undefined) return;
    // A new group starts at the head: it gets what is published from now on, like a new queue.
    await store.checkpoints.store(name, await store.headPosition(), { expected: null }).catch((error: unknown) => {
      if (!isEventfoldError(error, 'EVENTFOLD_CHECKPOINT_CONFLICT')) throw error;
    });
  };
  const publishTo = async (destination: string, messages: readonly OutgoingMessage[]) => {
    await store.appendToStream(
      `${destinationPrefix(destination)}${uuidv7()}`,
      messages.map((m) => messageToEvent(m)),
      { expectedVersion: 'no_stream' },
    );
    published.notify();
  };

  const deadLetters = createStoreDeadLetters({
    store,
    assertOpen,
    redeliver: (_binding, letter) => publishTo(letter.origin, [letter.message]),
  });

  return {
    binder,
    async provision(binding) {
      assertOpen();
      defineBinding(binding.name, binding);
      if (binding.group !== undefined) await provisionGroup(binding);
    },
    async publish(binding, messages) {
      assertOpen();
      messages.forEach((message, i) => {
        assertOutgoingMessage(message, `messages[${i}]`);
      });
      if (messages.length > 0) await publishTo(binding.destination, messages);
    },
    async subscribe(binding, handler, consumeOptions = {}) {
      assertOpen();
      const group = requireGroup(binding);
      await provisionGroup(binding);
      const key = `${binding.destination}\0${group}`;
      let runner = runners.get(key);
      if (runner !== undefined && !runner.alive) await runner.finished;
      runner = runners.get(key);
      if (runner === undefined || !runner.alive) {
        const stream = deadLetterStream(binding.destination, group);
        runner = new StoreGroupRunner({
          store,
          destination: binding.destination,
          group,
          checkpoint: checkpointName(binding.destination, group),
          clock,
          sleep,
          published,
          pollIntervalMs: options.pollIntervalMs ?? 100,
          batchSize: options.batchSize ?? 500,
          deadLetterSink: async (record) => {
            await store.appendToStream(stream, [messageToEvent(record, DEAD_LETTERED)]);
          },
          onError: (error) => options.onError?.(error),
        });
        runners.set(key, runner);
      }
      const owner = runner;
      const policy = createRetryPolicy(binding.consumer?.retry, { random });
      const inner = owner.join({ binding, handler, policy, options: consumeOptions });
      const consumer: Consumer = {
        pause: () => inner.pause(),
        resume: () => inner.resume(),
        get paused() {
          return inner.paused;
        },
        get inFlight() {
          return inner.inFlight;
        },
        // The last member out waits for the group's checkpoint, so what it handled is never redelivered.
        async stop() {
          await inner.stop();
          // Wait for the reader to checkpoint and exit — unless a new member joined meanwhile and keeps it going.
          while (owner.alive && owner.memberCount === 0) {
            await Promise.race([owner.finished, new Promise((resolve) => setTimeout(resolve, 10))]);
          }
        },
        done: inner.done,
      };
      consumers.add(consumer);
      void inner.done.then(() => consumers.delete(consumer));
      return consumer;
    },
    deadLetters,
    async close() {
      closed = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      for (const runner of runners.values()) runner.abort();
      await Promise.all([...runners.values()].map((r) => r.finished));
    },
  };
}
