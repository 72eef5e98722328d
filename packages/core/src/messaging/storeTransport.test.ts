import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { describeTransportConformance } from '../testing/transportConformance.js';
import { defineBinding } from './bindings.js';
import { encodeJsonMessage } from './jsonSerde.js';
import { createStoreTransport } from './storeTransport.js';

describeTransportConformance('store transport (in-memory store)', {
  createTransport: async () => createStoreTransport({ store: createInMemoryEventStore(), pollIntervalMs: 20 }),
  timeoutMs: 5_000,
  quietMs: 150,
});

describe('store transport group hand-over', () => {
  it('a member stopping while another joins neither hangs nor loses messages', async () => {
    const transport = createStoreTransport({ store: createInMemoryEventStore(), pollIntervalMs: 10 });
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g' });
    const got: string[] = [];
    const first = await transport.subscribe(binding, (m) => void got.push(`a:${m.id}`));
    const [, second] = await Promise.all([first.stop(), transport.subscribe(binding, (m) => void got.push(`b:${m.id}`))]);
    await transport.publish(binding, [encodeJsonMessage({ id: 'm1', type: 'T', key: 'k', data: 1 })]);
    for (let i = 0; i < 200 && got.length === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['b:m1']);
    await second.stop();
    await transport.close();
  });

  it('looks for dead letters without creating groups, and keeps $ streams out of the relay', async () => {
    const store = createInMemoryEventStore();
    const transport = createStoreTransport({ store });
    const binding = defineBinding('in', { binder: 'inproc', destination: 'd', group: 'g' });
    expect(await transport.deadLetters.list(binding)).toEqual([]);
    await transport.publish(binding, [encodeJsonMessage({ id: 'm1', type: 'T', key: 'k', data: 1 })]);
    const [event] = await store.readAll();
    expect(event?.streamId.startsWith('$inproc/d/')).toBe(true);
    await transport.close();
  });
});
