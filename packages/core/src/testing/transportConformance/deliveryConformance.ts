/** Publish/subscribe basics: fields round-trip, groups, per-key order with concurrency, bad input, close. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isEventfoldError } from '../../errors.js';
import type { DeliveredMessage } from '../../messaging/message.js';
import { createRecorder, sleepMs, type TransportConformanceContext, testMessage } from './context.js';

export function deliveryConformance(ctx: TransportConformanceContext): void {
  it('delivers every field of a message unchanged, body byte for byte', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const seen = createRecorder();
    ctx.track(await transport.subscribe(binding, (m) => void seen.deliveries.push(m)));
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const sent = [
      testMessage('k1', 1, { body: allBytes, contentType: 'application/octet-stream', schemaVersion: 7 }),
      testMessage('k1', 2, {
        headers: { 'eventfold-correlation-id': 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', note: 'ünïcødé ✓' },
      }),
      testMessage('k2', 3, { body: new Uint8Array(0) }),
    ];
    await transport.publish(binding, sent);
    await ctx.waitFor('3 deliveries', () => seen.count() >= 3);
    for (const original of sent) {
      const got = seen.deliveries.find((d) => d.id === original.id) as DeliveredMessage;
      expect(got, `message ${original.id}`).toBeDefined();
      expect(got.type).toBe(original.type);
      expect(got.schemaVersion).toBe(original.schemaVersion);
      expect(got.key).toBe(original.key);
      expect(got.contentType).toBe(original.contentType);
      expect(got.destination).toBe(binding.destination);
      expect(got.attempt).toBe(1);
      for (const [name, value] of Object.entries(original.headers)) expect(got.headers[name], `header ${name}`).toBe(value);
      expect(Buffer.from(got.body).equals(Buffer.from(original.body))).toBe(true);
    }
  });

  it('round-trips random bodies, headers, keys and versions (property)', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const seen = new Map<string, DeliveredMessage>();
    ctx.track(await transport.subscribe(binding, (m) => void seen.set(m.id, m)));
    const messageArb = fc.record({
      key: fc.string({ minLength: 1, maxLength: 24 }),
      schemaVersion: fc.integer({ min: 1, max: 1_000 }),
      contentType: fc.constantFrom('application/json', 'application/octet-stream', 'text/plain; charset=utf-8', 'application/vnd.eventfold+avro'),
      headers: fc.dictionary(fc.stringMatching(/^p-[a-z0-9-]{1,12}$/), fc.string({ maxLength: 24 }), { maxKeys: 4 }),
      body: fc.uint8Array({ maxLength: 512 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 6 }), async (drafts) => {
        const sent = drafts.map((d, i) => testMessage(d.key, i, d));
        await transport.publish(binding, sent);
        await ctx.waitFor('the random batch', () => sent.every((m) => seen.has(m.id)));
        for (const original of sent) {
          const got = seen.get(original.id) as DeliveredMessage;
          expect([got.key, got.schemaVersion, got.contentType, got.type]).toEqual([original.key, original.schemaVersion, original.contentType, original.type]);
          for (const [name, value] of Object.entries(original.headers)) expect(got.headers[name], `header ${name}`).toBe(value);
          expect(Buffer.from(got.body).equals(Buffer.from(original.body)), 'body').toBe(true);
        }
      }),
      { numRuns: ctx.propertyRuns },
    );
  });

  it('keeps messages for a provisioned group until it subscribes', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const sent = [testMessage('a', 1), testMessage('b', 2)];
    await transport.publish(binding, sent);
    const seen = createRecorder();
    ctx.track(await transport.subscribe(binding, (m) => void seen.deliveries.push(m)));
    await ctx.waitFor('both messages', () => seen.ids().size === 2);
    expect([...seen.ids()].sort()).toEqual(sent.map((m) => m.id).sort());
  });

  it('keeps per-key order with concurrency > 1, never running two handlers of one key at once', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { concurrency: 4 } });
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const perKey = 15;
    const order = new Map<string, number[]>(keys.map((k) => [k, []]));
    const active = new Set<string>();
    let running = 0;
    let maxRunning = 0;
    let overlap = '';
    ctx.track(
      await transport.subscribe(binding, async (m) => {
        if (active.has(m.key)) overlap = m.key;
        active.add(m.key);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await sleepMs(Number(m.headers.n) % 2 === 0 ? 6 : 1);
        order.get(m.key)?.push(Number(m.headers.n));
        running -= 1;
        active.delete(m.key);
      }),
    );
    // Runs of one key back to back: a transport that ignores keys would run them concurrently.
    const sent = [];
    for (const key of keys) for (let n = 0; n < perKey; n += 1) sent.push(testMessage(key, n));
    await transport.publish(binding, sent);
    await ctx.waitFor('all messages', () => [...order.values()].every((list) => list.length >= perKey));
    for (const key of keys) expect(order.get(key), `order of ${key}`).toEqual(Array.from({ length: perKey }, (_, i) => i));
    expect(overlap, 'two handlers of one key ran at once').toBe('');
    expect(maxRunning, 'handlers of different keys should run concurrently').toBeGreaterThan(1);
  });

  it('gives every group all messages, and members of one group share them', async () => {
    const transport = await ctx.open();
    const first = await ctx.binding(transport);
    const second = await ctx.sibling(transport, first);
    const a = createRecorder();
    const b1 = createRecorder();
    const b2 = createRecorder();
    ctx.track(await transport.subscribe(first, (m) => void a.deliveries.push(m)));
    ctx.track(await transport.subscribe(second, (m) => void b1.deliveries.push(m)));
    ctx.track(await transport.subscribe(second, (m) => void b2.deliveries.push(m)));
    const sent = Array.from({ length: 20 }, (_, i) => testMessage(`k${i % 5}`, i));
    await transport.publish(first, sent);
    const union = () => new Set([...b1.ids(), ...b2.ids()]);
    await ctx.waitFor('group one to see all', () => a.ids().size === sent.length);
    await ctx.waitFor('group two to see all', () => union().size === sent.length);
    await ctx.quiet();
    expect(a.count(), 'group one got duplicates').toBe(sent.length);
    expect(b1.count() + b2.count(), 'group two handled messages twice').toBe(sent.length);
  });

  it('rejects malformed messages with EVENTFOLD_INVALID_INPUT before sending anything', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const good = testMessage('k', 1);
    const bad = [
      { ...testMessage('k', 2), id: '' },
      { ...testMessage('k', 3), body: 'not bytes' as unknown as Uint8Array },
      { ...testMessage('k', 4), schemaVersion: 0 },
      { ...testMessage('k', 5), headers: { n: 5 as unknown as string } },
    ];
    for (const message of bad) {
      const error = await transport.publish(binding, [good, message]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isEventfoldError(error, 'EVENTFOLD_INVALID_INPUT'), `expected EVENTFOLD_INVALID_INPUT for ${JSON.stringify(Object.keys(message))}`).toBe(true);
    }
    const seen = createRecorder();
    ctx.track(await transport.subscribe(binding, (m) => void seen.deliveries.push(m)));
    await ctx.quiet();
    expect(seen.count(), 'a rejected batch must not be partly sent').toBe(0);
  });

  it('rejects publish after close with an EventfoldError', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    await transport.close();
    const error = await transport.publish(binding, [testMessage('k', 1)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventfoldError(error), `expected an EventfoldError, got ${String(error)}`).toBe(true);
  });
}
