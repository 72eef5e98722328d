import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { defineBinding } from './bindings.js';
import { createRelay } from './createRelay.js';
import { createDirectTransport } from './directTransport.js';
import { drainStoreTransport } from './drainStoreTransport.js';
import { encodeJsonMessage } from './jsonSerde.js';
import type { DeliveredMessage } from './message.js';
import { createStoreTransport } from './storeTransport.js';

const msg = (id: string, key = 'k', data: unknown = id) => encodeJsonMessage({ id, type: 'Noted', key, data });
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};
const settledSoon = async (promise: Promise<unknown>) => {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((r) => setTimeout(r, 20));
  return settled;
};

describe('direct transport', () => {
  it('publish resolves only once every group on the destination has handled every message', async () => {
    const transport = createDirectTransport({ store: createInMemoryEventStore() });
    const out = defineBinding('out', { binder: 'inproc', destination: 'd' });
    const a = defineBinding('a', { binder: 'inproc', destination: 'd', group: 'a' });
    const b = defineBinding('b', { binder: 'inproc', destination: 'd', group: 'b' });
    const seen: string[] = [];
    const slow = gate();
    await transport.subscribe(a, (m) => void seen.push(`a:${m.id}`));
    await transport.subscribe(b, async (m) => {
      await slow.opened;
      seen.push(`b:${m.id}`);
    });
    const published = transport.publish(out, [msg('m1'), msg('m2', 'other')]);
    expect(await settledSoon(published), 'resolved before group b handled').toBe(false);
    slow.open();
    await published;
    expect(seen.sort()).toEqual(['a:m1', 'a:m2', 'b:m1', 'b:m2']);
    await transport.close();
  });

  it('keeps per-key order with concurrency > 1', async () => {
    const transport = createDirectTransport({ store: createInMemoryEventStore() });
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g', consumer: { concurrency: 4 } });
    const seen = new Map<string, number[]>();
    await transport.subscribe(binding, async (m: DeliveredMessage) => {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      const [key, n] = String(m.id).split(':') as [string, string];
      seen.set(key, [...(seen.get(key) ?? []), Number(n)]);
    });
    const messages = Array.from({ length: 40 }, (_, i) => msg(`k${i % 4}:${i}`, `k${i % 4}`));
    await transport.publish(binding, messages);
    for (const [key, ns] of seen) expect(ns, key).toEqual([...ns].sort((x, y) => x - y));
    expect([...seen.values()].flat()).toHaveLength(40);
    await transport.close();
  });

  it('dead-letters into the store, resolves the publish, and replays a letter to its group once', async () => {
    const store = createInMemoryEventStore();
    const transport = createDirectTransport({ store });
    const binding = defineBinding('in', {
      binder: 'inproc',
      destination: 'd',
      group: 'g',
      consumer: { retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
    });
    let healthy = false;
    const handled: string[] = [];
    await transport.subscribe(binding, (m) => {
      if (!healthy) throw new Error('not today');
      handled.push(m.id);
    });
    await transport.publish(binding, [msg('m1')]);
    const [letter] = await transport.deadLetters.list(binding);
    expect(letter).toMatchObject({ reason: 'not today', attempts: 2, origin: 'd', group: 'g', message: { id: 'm1' } });
    expect((await store.readAll()).map((e) => e.streamId.split('/')[0])).toEqual(['$inproc-dlq']);
    // A second transport over the same store (a restart) sees the letter too.
    expect(await createDirectTransport({ store }).deadLetters.list(binding)).toHaveLength(1);
    healthy = true;
    expect(await transport.deadLetters.replay(binding)).toBe(1);
    expect(handled).toEqual(['m1']);
    expect(await transport.deadLetters.replay(binding)).toBe(0);
    expect(await transport.deadLetters.list(binding)).toEqual([]);
    await transport.close();
  });

  it('under a relay, the checkpoint moves only past handled messages: a crash redelivers the rest', async () => {
    const store = createInMemoryEventStore();
    for (let i = 1; i <= 3; i++) await store.appendToStream(`s-${i}`, [{ type: 'Happened', data: { i } }]);
    const out = defineBinding('out', { binder: 'inproc', destination: 'd' });
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g' });

    // First life: the process dies while handling s-3 (its handler never finishes).
    const first = createDirectTransport({ store });
    await first.provision(binding);
    const firstSeen: string[] = [];
    await first.subscribe(binding, async (m) => {
      if (m.key === 's-3') await new Promise(() => undefined);
      firstSeen.push(m.key);
    });
    const relay = createRelay({ name: 'r', store, transport: first, routes: [{ binding: out }], pollIntervalMs: 5 });
    const cycle = relay.runOnce();
    await new Promise((r) => setTimeout(r, 30));
    expect(firstSeen.sort()).toEqual(['s-1', 's-2']);
    expect(await settledSoon(cycle), 'the relay went on before every message was handled').toBe(false);
    expect(await store.checkpoints.load('r'), 'checkpoint moved before every message was handled').toBeUndefined();

    // Second life: the relay starts over from its checkpoint; handlers dedupe what they saw.
    const second = createDirectTransport({ store });
    await second.provision(binding);
    const secondSeen: string[] = [];
    await second.subscribe(binding, (m) => void secondSeen.push(m.key));
    const again = createRelay({ name: 'r', store, transport: second, routes: [{ binding: out }], pollIntervalMs: 5 });
    expect(await again.runOnce()).toBe(3);
    expect(secondSeen.sort()).toContain('s-3');
    expect(await store.checkpoints.load('r')).toBe(3n);
    await second.close();
  });

  it('close() fails publishes still waiting for consumers, and publish after close is refused', async () => {
    const transport = createDirectTransport({ store: createInMemoryEventStore() });
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g' });
    await transport.provision(binding); // provisioned, nobody subscribed: messages wait
    const waiting = transport.publish(binding, [msg('m1')]);
    expect(await settledSoon(waiting)).toBe(false);
    await transport.close();
    await expect(waiting).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED' });
    await expect(transport.publish(binding, [msg('m2')])).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED' });
  });

  it('a destination without groups accepts messages at once; replaying where no consumer runs is refused', async () => {
    const store = createInMemoryEventStore();
    const transport = createDirectTransport({ store });
    await transport.publish(defineBinding('out', { binder: 'inproc', destination: 'nobody' }), [msg('m1')]);
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g', consumer: { retry: { maxAttempts: 1 } } });
    const consumer = await transport.subscribe(binding, () => {
      throw new Error('no');
    });
    await transport.publish(binding, [msg('m2')]);
    await consumer.stop();
    await expect(transport.deadLetters.replay(binding)).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
    expect(await transport.deadLetters.list(binding)).toHaveLength(1);
    await transport.close();
  });
});

describe('drainStoreTransport', () => {
  it('hands what store-transport groups had not consumed to the new handlers, then forgets the groups', async () => {
    const store = createInMemoryEventStore();
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g' });
    const idle = defineBinding('idle', { binder: 'inproc', destination: 'e', group: 'g' });
    const old = createStoreTransport({ store, pollIntervalMs: 10 });
    await old.provision(binding);
    await old.provision(idle);
    await old.publish(binding, [msg('m1'), msg('m2', 'other')]); // published by the old relay, never consumed
    await old.close();
    await store.appendToStream('s-1', [{ type: 'Happened', data: {} }]);

    const seen: string[] = [];
    const subscriptions = [
      { binding, handler: (m: DeliveredMessage) => void seen.push(m.id) },
      { binding: idle, handler: (m: DeliveredMessage) => void seen.push(`idle:${m.id}`) },
    ];
    expect(await drainStoreTransport({ store, subscriptions, pollIntervalMs: 5 })).toEqual({ drainedGroups: 1 });
    expect(seen.sort()).toEqual(['m1', 'm2']);
    expect(await drainStoreTransport({ store, subscriptions })).toEqual({ drainedGroups: 0 });
    expect(seen).toHaveLength(2);
  });
});
