import { describe, expect, it } from 'vitest';
import { isEventfoldError } from '../errors.js';
import { describeTransportConformance } from '../testing/transportConformance.js';
import { defineBinding } from './bindings.js';
import { createInMemoryTransport } from './inMemoryTransport.js';
import { encodeJsonMessage } from './jsonSerde.js';

describeTransportConformance('in-memory', {
  createTransport: async () => createInMemoryTransport(),
  timeoutMs: 5_000,
  quietMs: 100,
});

describe('in-memory transport specifics', () => {
  const message = (id: string) => encodeJsonMessage({ id, type: 'T', key: 'k', data: id });

  it('lets a handler publish (consume-transform-produce) without re-entering delivery', async () => {
    const transport = createInMemoryTransport();
    const input = defineBinding('in', { binder: 'memory', destination: 'orders', group: 'billing' });
    const output = defineBinding('out', { binder: 'memory', destination: 'invoices', group: 'mail' });
    await transport.provision(output);
    const mailed: string[] = [];
    await transport.subscribe(input, async (m) => {
      await transport.publish(output, [message(`invoice-for-${m.id}`)]);
    });
    await transport.subscribe(output, (m) => void mailed.push(m.id));
    await transport.publish(input, [message('o1'), message('o2')]);
    for (let i = 0; i < 100 && mailed.length < 2; i += 1) await new Promise((r) => setTimeout(r, 1));
    expect(mailed).toEqual(['invoice-for-o1', 'invoice-for-o2']);
    await transport.close();
  });

  it('keeps messages of a provisioned group with no member, and counts them as pending', async () => {
    const transport = createInMemoryTransport();
    const binding = defineBinding('in', { binder: 'memory', destination: 'd', group: 'g' });
    const unprovisioned = defineBinding('other', { binder: 'memory', destination: 'd', group: 'late' });
    await transport.provision(binding);
    await transport.publish(binding, [message('a'), message('b')]);
    expect(transport.pending(binding)).toBe(2);
    expect(transport.pending(unprovisioned)).toBe(0);
    const consumer = await transport.subscribe(binding, () => undefined);
    await new Promise((r) => setTimeout(r, 5));
    expect(transport.pending(binding)).toBe(0);
    await consumer.stop();
    await transport.close();
    await expect(transport.subscribe(binding, () => undefined)).rejects.toSatisfy((e) => isEventfoldError(e, 'EVENTFOLD_TRANSPORT_CLOSED'));
  });

  it('requires a group to consume', async () => {
    const transport = createInMemoryTransport();
    const noGroup = defineBinding('out', { binder: 'memory', destination: 'd' });
    await expect(transport.subscribe(noGroup, () => undefined)).rejects.toThrow(/bindings\.out\.group: is required to consume/);
  });
});
