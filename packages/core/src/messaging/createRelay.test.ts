import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { START } from '../envelope.js';
import { EventfoldError, isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { defineBinding } from './bindings.js';
import { createRelay } from './createRelay.js';
import { createInMemoryTransport } from './inMemoryTransport.js';
import type { DeliveredMessage } from './message.js';
import { RELAY_PUBLISHED_CHANNEL, type RelayPublishedMessage } from './messagingDiagnostics.js';
import { createInMemoryRelayLease } from './relayLease.js';
import { createThrottledPublisher } from './throttledPublisher.js';
import { createManualTimers } from './timers.js';
import type { Transport } from './transport.js';

const out = defineBinding('orders-out', { binder: 'memory', destination: 'shop.orders', group: 'audit' });

async function setup(events = 25) {
  const timers = createManualTimers(createManualClock(1_000_000));
  const store = createInMemoryEventStore({ clock: timers.clock });
  const transport = createInMemoryTransport({ clock: timers.clock, sleep: timers.sleep });
  const received: DeliveredMessage[] = [];
  await transport.subscribe(out, (m) => void received.push(m));
  for (let i = 0; i < events; i += 1) await store.appendToStream(`order-${i % 5}`, [{ type: 'OrderPlaced', data: { i } }]);
  const lease = createInMemoryRelayLease({ clock: timers.clock });
  const relay = (extra: Partial<Parameters<typeof createRelay>[0]> = {}) =>
    createRelay({
      name: 'orders-relay',
      store,
      transport,
      lease,
      routes: [{ binding: out }],
      clock: timers.clock,
      sleep: timers.sleep,
      batchSize: 10,
      ...extra,
    });
  return { timers, store, transport, received, relay, lease };
}

/** The store with reads counted and an `onAppend` the test fires by hand. */
function wakingStore(store: EventStore) {
  const listeners = new Set<() => void>();
  let reads = 0;
  const waking = {
    ...store,
    readAll: (options?: Parameters<EventStore['readAll']>[0]) => {
      reads += 1;
      return store.readAll(options);
    },
    onAppend: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { waking, listeners, reads: () => reads };
}

const positionsOf = (messages: DeliveredMessage[]) => messages.map((m) => Number((JSON.parse(new TextDecoder().decode(m.body)) as { i: number }).i));

/** The transport with its broker down until `up()`: every publish fails with a retryable error. */
function brokerDown(transport: Transport) {
  let down = true;
  const flaky: Transport = {
    ...transport,
    publish: async (binding, messages) => {
      if (down) throw new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', 'broker down', { retryable: true });
      await transport.publish(binding, messages);
    },
  };
  return {
    flaky,
    up: () => {
      down = false;
    },
  };
}

/**
 * The store as a type-filtering one (like PostgreSQL's `readAllOfTypes`), with the positions each
 * typed read started after.
 */
function typedStore(store: EventStore) {
  const starts: bigint[] = [];
  const typed = {
    ...store,
    readAll: () => Promise.reject(new Error('a relay given types reads through readAllOfTypes')),
    async readAllOfTypes(options: { after?: bigint; maxCount?: number; types: readonly string[] }) {
      starts.push(options.after ?? START);
      const all = await store.readAll({ after: options.after ?? START, maxCount: 100_000 });
      const events = all.filter((e) => options.types.includes(e.type)).slice(0, options.maxCount ?? 1000);
      const full = events.length === (options.maxCount ?? 1000);
      const scannedTo = full ? (events[events.length - 1]?.globalPosition as bigint) : (all[all.length - 1]?.globalPosition ?? options.after ?? START);
      return { events, scannedTo };
    },
  };
  return { typed, starts };
}

describe('createRelay', () => {
  it('publishes events in store order keyed by stream id, and checkpoints after each batch', async () => {
    const { store, received, relay, timers } = await setup(25);
    const r = relay();
    const batches: RelayPublishedMessage[] = [];
    const onBatch = (m: unknown) => batches.push(m as RelayPublishedMessage);
    diagnostics.subscribe(RELAY_PUBLISHED_CHANNEL, onBatch);
    try {
      expect([await r.runOnce(), await r.runOnce(), await r.runOnce(), await r.runOnce()]).toEqual([10, 10, 5, 0]);
    } finally {
      diagnostics.unsubscribe(RELAY_PUBLISHED_CHANNEL, onBatch);
    }
    expect(batches.map((b) => [b.relay, b.events])).toEqual([
      ['orders-relay', 10],
      ['orders-relay', 10],
      ['orders-relay', 5],
    ]);
    await timers.flush();
    expect(positionsOf(received)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(received.every((m, i) => m.key === `order-${i % 5}`)).toBe(true);
    const all = await store.readAll();
    expect(await store.checkpoints.load('orders-relay')).toBe(all.at(-1)!.globalPosition);
    expect(received.map((m) => m.id)).toEqual(all.map((e) => e.eventId));
  });

  it('does not move the checkpoint when publishing fails, and republishes the batch next time', async () => {
    const { store, transport, received, relay, timers } = await setup(5);
    const { flaky, up } = brokerDown(transport);
    const r = relay({ transport: flaky });
    await expect(r.runOnce()).rejects.toThrow('broker down');
    expect(await store.checkpoints.load('orders-relay')).toBeUndefined();
    up();
    expect(await r.runOnce()).toBe(5);
    await timers.flush();
    expect(positionsOf(received)).toEqual([0, 1, 2, 3, 4]);
  });

  it('resumes from the checkpoint after a crash; a crash between publish and checkpoint republishes, never loses', async () => {
    const { store, received, relay, timers } = await setup(25);
    expect(await relay({ owner: 'a' }).runOnce()).toBe(10);
    // Process "a" dies after publishing its second batch, before storing the checkpoint.
    const crashing: EventStore = {
      ...store,
      checkpoints: {
        ...store.checkpoints,
        store: async () => {
          throw new Error('SIGKILL');
        },
      },
    };
    await expect(relay({ owner: 'a', store: crashing }).runOnce()).rejects.toThrow('SIGKILL');
    // "b" takes over once a's lease expired.
    const b = relay({ owner: 'b' });
    expect(await b.runOnce()).toBe(0);
    timers.clock.advance(16_000);
    while ((await b.runOnce()) > 0);
    await timers.flush();
    const seen = positionsOf(received);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toHaveLength(35); // batch 10–19 went out twice: at-least-once, consumers dedupe on id
    expect(received.slice(10, 20).map((m) => m.id)).toEqual(received.slice(20, 30).map((m) => m.id));
  });

  it('lets one relay publish at a time; a standby takes over on release or lease expiry', async () => {
    const { received, relay, timers } = await setup(30);
    const a = relay({ owner: 'a' });
    const b = relay({ owner: 'b' });
    expect(await a.runOnce()).toBe(10);
    expect(await b.runOnce()).toBe(0);
    expect([a.leader, b.leader]).toEqual([true, false]);
    timers.clock.advance(15_001);
    expect(await b.runOnce()).toBe(10);
    expect(await a.runOnce()).toBe(0);
    expect(b.leader).toBe(true);
    await timers.flush();
    expect(positionsOf(received)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('fences a holder whose lease lapsed mid-publish: it leaves the checkpoint to the new holder', async () => {
    const { store, transport, relay, timers } = await setup(10);
    let b: ReturnType<typeof relay> | undefined;
    const slow: Transport = {
      ...transport,
      publish: async (binding, messages) => {
        await transport.publish(binding, messages);
        // While "a" is stalled after publishing, its lease expires and "b" relays and checkpoints.
        if (b === undefined) {
          timers.clock.advance(20_000);
          b = relay({ owner: 'b' });
          expect(await b.runOnce()).toBe(10);
        }
      },
    };
    const a = relay({ owner: 'a', transport: slow });
    expect(await a.runOnce()).toBe(0);
    expect(a.leader).toBe(false);
    const last = (await store.readAll()).at(-1)!.globalPosition;
    expect(await store.checkpoints.load('orders-relay')).toBe(last);
  });

  it('treats a checkpoint moved by another process as a lost lease, not a failure', async () => {
    const { store, relay } = await setup(10);
    const racing: EventStore = {
      ...store,
      checkpoints: {
        ...store.checkpoints,
        store: async (name, position, options) => {
          await store.checkpoints.store(name, 1n, { expected: null }); // someone else got there first
          await store.checkpoints.store(name, position, options);
        },
      },
    };
    const r = relay({ store: racing });
    expect(await r.runOnce()).toBe(0);
    expect(r.leader).toBe(false);
  });

  it('runs as a loop: relays new appends after the poll interval and releases the lease on stop', async () => {
    const { store, received, relay, timers, lease } = await setup(3);
    const published: number[] = [];
    const r = relay({ owner: 'a', pollIntervalMs: 50, onPublished: (b) => published.push(b.events) });
    const done = r.start();
    await timers.advance(10);
    expect(received).toHaveLength(3);
    await store.appendToStream('order-9', [{ type: 'OrderPlaced', data: { i: 3 } }]);
    await timers.advance(50);
    expect(positionsOf(received)).toEqual([0, 1, 2, 3]);
    expect(published).toEqual([3, 1]);
    await r.stop();
    await done;
    expect(await lease.tryAcquire('orders-relay', 'b', 1_000)).toBe(true);
  });

  it('retries a retryable failure in the loop and reports it; stops on a non-retryable one', async () => {
    const { store, transport, relay, timers } = await setup(2);
    let failures = 0;
    const errors: unknown[] = [];
    const flaky: Transport = {
      ...transport,
      publish: async (binding, messages) => {
        failures += 1;
        if (failures <= 2) throw new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', 'down', { retryable: true });
        if (failures === 3) throw new TypeError('bug in a mapper');
        await transport.publish(binding, messages);
      },
    };
    const r = relay({ transport: flaky, retryDelayMs: 500, onError: (e) => errors.push(e) });
    const done = r.start();
    done.catch(() => undefined);
    await timers.advance(1_100);
    await expect(done).rejects.toThrow('bug in a mapper');
    expect(errors).toHaveLength(2);
    expect(await store.checkpoints.load('orders-relay')).toBeUndefined();
    expect(r.position).toBe(START);
  });

  it('routes by filter and binder, and validates its options', async () => {
    const { store, timers } = await setup(0);
    await store.appendToStream('s', [
      { type: 'OrderPlaced', data: {} },
      { type: 'OrderShipped', data: {} },
    ]);
    const shipped = defineBinding('shipped', { binder: 'other', destination: 'shop.shipped', group: 'g' });
    const other = createInMemoryTransport({ binder: 'other', clock: timers.clock, sleep: timers.sleep });
    const got: string[] = [];
    await other.subscribe(shipped, (m) => void got.push(m.type));
    const r = createRelay({
      name: 'r2',
      store,
      transport: { other },
      routes: [{ binding: shipped, filter: (e) => e.type === 'OrderShipped' }],
      clock: timers.clock,
    });
    expect(await r.runOnce()).toBe(2);
    await timers.flush();
    expect(got).toEqual(['OrderShipped']);
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isEventfoldError(e, 'EVENTFOLD_INVALID_INPUT');
      }
      return false;
    };
    expect(bad(() => createRelay({ name: '', store, transport: other, routes: [{ binding: shipped }] }))).toBe(true);
    expect(bad(() => createRelay({ name: 'x', store, transport: other, routes: [] }))).toBe(true);
    expect(bad(() => createRelay({ name: 'x', store, transport: { kafka: other }, routes: [{ binding: shipped }] }))).toBe(true);
  });

  it('takes a throttled publisher in place of a transport, so the relay keeps to a rate', async () => {
    const { received, relay, timers, transport } = await setup(30);
    const throttled = createThrottledPublisher({ transport, ratePerSecond: 100, burst: 10, clock: timers.clock, sleep: timers.sleep });
    const r = relay({ transport: throttled });
    expect(await r.runOnce()).toBe(10); // within the burst
    const second = r.runOnce();
    await timers.flush();
    expect(received).toHaveLength(10); // the next 10 wait for tokens
    await timers.advance(100);
    expect(await second).toBe(10);
    await timers.flush();
    expect(received).toHaveLength(20);
  });

  it('wakes at once on an append through a store with onAppend, and backs its empty polls off up to maxIdleMs', async () => {
    const { store, received, relay, timers } = await setup(0);
    const { waking, listeners, reads } = wakingStore(store);
    const r = relay({ store: waking, pollIntervalMs: 10, maxIdleMs: 40 });
    const done = r.start();
    await timers.advance(200);
    expect(reads()).toBeLessThanOrEqual(7); // 0, 20, 60, 100, 140, 180: not every 10 ms
    await store.appendToStream('order-1', [{ type: 'OrderPlaced', data: { i: 0 } }]);
    for (const listener of listeners) listener();
    await timers.flush();
    expect(positionsOf(received)).toEqual([0]); // no time passed: the wake-up ended the wait
    await r.stop();
    await done;
    expect(listeners.size).toBe(0);
  });
  it('with gatherMs, appends woken for within the gathering window share one read', async () => {
    const { store, received, relay, timers } = await setup(0);
    const { waking, listeners, reads } = wakingStore(store);
    const r = relay({ store: waking, pollIntervalMs: 1_000, maxIdleMs: 1_000, gatherMs: 5 });
    const done = r.start();
    await timers.flush();
    const readsBefore = reads();
    for (let i = 0; i < 3; i += 1) {
      await store.appendToStream(`order-${i}`, [{ type: 'OrderPlaced', data: { i } }]);
      for (const listener of listeners) listener();
      await timers.flush();
    }
    expect(received).toHaveLength(0); // still gathering
    await timers.advance(5);
    expect(positionsOf(received)).toEqual([0, 1, 2]);
    expect(reads() - readsBefore).toBe(1);
    await r.stop();
    await done;
  });
  it('given its types and a store that filters by type, reads only those, never reads a stretch twice, and reads a failed batch again', async () => {
    const { store, transport, received, relay, timers } = await setup(0);
    for (let i = 0; i < 6; i += 1) await store.appendToStream(`order-${i}`, [{ type: i % 2 === 0 ? 'OrderPlaced' : 'OrderNoted', data: { i } }]);
    const { typed, starts } = typedStore(store);
    const { flaky, up } = brokerDown(transport);
    const r = relay({ store: typed, types: ['OrderPlaced'], transport: flaky });
    await expect(r.runOnce()).rejects.toThrow('broker down');
    up();
    expect(await r.runOnce()).toBe(3); // the failed batch, read again from the checkpoint
    await timers.flush();
    expect(positionsOf(received)).toEqual([0, 2, 4]);
    const published = await store.checkpoints.load('orders-relay');
    expect(published).toBe(5n); // the last event it published; event 6 (OrderNoted) was only examined
    expect(await r.runOnce()).toBe(0);
    await store.appendToStream('order-9', [{ type: 'OrderPlaced', data: { i: 9 } }]);
    expect(await r.runOnce()).toBe(1);
    // Each read started where the last one stopped looking: after the checkpoint, then after event 6.
    expect(starts).toEqual([START, START, 6n, 6n]);
    await timers.flush();
    expect(positionsOf(received)).toEqual([0, 2, 4, 9]);
  });
});
