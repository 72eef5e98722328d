/** Failure handling: retries, dead letters with their headers, unreadable input, the DLQ API. */
import { expect, it } from 'vitest';
import { createJsonSerde, withJsonSerde } from '../../messaging/jsonSerde.js';
import type { RetryPolicyOptions } from '../../messaging/retryPolicy.js';
import { createRecorder, type TransportConformanceContext, testMessage } from './context.js';

/** Short, exact delays (no jitter) so brokers with delay queues finish quickly. */
const retry: RetryPolicyOptions = { maxAttempts: 3, initialDelayMs: 50, multiplier: 2, maxDelayMs: 1_000, jitter: 0 };

export function deadLetterConformance(ctx: TransportConformanceContext): void {
  it('retries a failing message and processes it once when it succeeds; nothing is dead-lettered', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { retry } });
    const flaky = testMessage('flaky', 1);
    const other = testMessage('other', 1);
    const attempts: number[] = [];
    const done = createRecorder();
    ctx.track(
      await transport.subscribe(binding, (m) => {
        if (m.id === flaky.id) {
          attempts.push(m.attempt);
          if (attempts.length < 3) throw new Error(`flaky failure ${attempts.length}`);
        }
        done.deliveries.push(m);
      }),
    );
    await transport.publish(binding, [flaky, other]);
    await ctx.waitFor('both processed', () => done.ids().size === 2);
    await ctx.quiet();
    expect(attempts).toEqual([1, 2, 3]);
    expect(done.deliveries.filter((d) => d.id === flaky.id)).toHaveLength(1);
    expect(await transport.deadLetters.list(binding)).toEqual([]);
  });

  it('dead-letters a message after maxAttempts with reason, attempts and origin, body byte-equal, and goes on', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { retry } });
    const poison = testMessage('p', 1, { body: Uint8Array.from([0, 255, 1, 254, 10, 13]) });
    const rest = [testMessage('p', 2), testMessage('q', 1), testMessage('q', 2)];
    let poisonAttempts = 0;
    const done = createRecorder();
    ctx.track(
      await transport.subscribe(binding, (m) => {
        if (m.id === poison.id) {
          poisonAttempts += 1;
          throw new Error('poison: always fails');
        }
        done.deliveries.push(m);
      }),
    );
    await transport.publish(binding, [poison, ...rest]);
    await ctx.waitFor('the other messages', () => done.ids().size === rest.length);
    await ctx.waitFor('one dead letter', async () => (await transport.deadLetters.list(binding)).length >= 1);
    const letters = await transport.deadLetters.list(binding);
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(poisonAttempts).toBe(3);
    expect(letter.attempts).toBe(3);
    expect(letter.reason).toContain('poison: always fails');
    expect(letter.origin).toBe(binding.destination);
    expect(letter.group).toBe(binding.group);
    expect(letter.message.id).toBe(poison.id);
    expect(letter.message.type).toBe(poison.type);
    expect(letter.message.key).toBe(poison.key);
    expect(letter.message.headers.n).toBe('1');
    expect(Buffer.from(letter.message.body).equals(Buffer.from(poison.body))).toBe(true);
    expect(await transport.deadLetters.inspect(binding, letter.deadLetterId)).toMatchObject({ deadLetterId: letter.deadLetterId, attempts: 3 });
  });

  it('dead-letters unreadable input at once with the reason, and keeps consuming', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { retry } });
    const serde = createJsonSerde({ types: { ConformanceTested: [1] } });
    const handled = createRecorder();
    ctx.track(
      await transport.subscribe(
        binding,
        withJsonSerde(serde, (_m, raw) => void handled.deliveries.push(raw)),
      ),
    );
    const notJson = testMessage('u', 1, { body: new TextEncoder().encode('{not json') });
    const unknownType = testMessage('u', 2, { type: 'NeverHeardOf' });
    const unknownVersion = testMessage('u', 3, { schemaVersion: 9 });
    const fine = testMessage('u', 4);
    await transport.publish(binding, [notJson, unknownType, unknownVersion, fine]);
    await ctx.waitFor('the readable message', () => handled.ids().has(fine.id));
    await ctx.waitFor('three dead letters', async () => (await transport.deadLetters.list(binding)).length >= 3);
    const letters = await transport.deadLetters.list(binding);
    expect(letters).toHaveLength(3);
    const byId = new Map(letters.map((l) => [l.message.id, l]));
    expect(byId.get(notJson.id)?.reason).toMatch(/not UTF-8 JSON/);
    expect(byId.get(unknownType.id)?.reason).toMatch(/unknown type "NeverHeardOf"/);
    expect(byId.get(unknownVersion.id)?.reason).toMatch(/unknown schema version 9/);
    for (const letter of letters) {
      expect(letter.attempts, 'unreadable input is not retried').toBe(1);
      expect(letter.errorCode).toBe('EVENTFOLD_UNREADABLE_MESSAGE');
    }
    expect(handled.count()).toBe(1);
  });

  it('replays a dead letter to its origin once, even when replay is called twice; purge removes the rest', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { retry: { ...retry, maxAttempts: 1 } } });
    let fixed = false;
    const processed = new Set<string>();
    const deliveries = createRecorder();
    ctx.track(
      await transport.subscribe(binding, (m) => {
        deliveries.deliveries.push(m);
        if (!fixed) throw new Error('bug not fixed yet');
        processed.add(m.id); // an inbox: effects keyed by message id
      }),
    );
    const sent = [testMessage('r', 1), testMessage('r', 2), testMessage('s', 1)];
    await transport.publish(binding, sent);
    await ctx.waitFor('three dead letters', async () => (await transport.deadLetters.list(binding)).length >= 3);
    const letters = await transport.deadLetters.list(binding);
    expect(letters).toHaveLength(3);
    fixed = true;
    const target = letters.find((l) => l.message.id === sent[0]!.id)!;
    const [first, second] = await Promise.all([
      transport.deadLetters.replay(binding, [target.deadLetterId]),
      transport.deadLetters.replay(binding, [target.deadLetterId]),
    ]);
    expect(first + second, 'the dead letter is replayed by one of the two calls').toBeGreaterThanOrEqual(1);
    await ctx.waitFor('the replayed message', () => processed.has(target.message.id));
    expect(await transport.deadLetters.replay(binding, [target.deadLetterId]), 'a replayed dead letter is gone').toBe(0);
    await ctx.quiet();
    expect(processed.size, 'only the replayed message was processed').toBe(1);
    const replayedDelivery = deliveries.deliveries.filter((d) => d.id === target.message.id).at(-1)!;
    expect(Buffer.from(replayedDelivery.body).equals(Buffer.from(sent[0]!.body))).toBe(true);
    expect(replayedDelivery.headers['eventfold-dlq-reason'], 'dead-letter headers are stripped on replay').toBeUndefined();
    expect(await transport.deadLetters.purge(binding)).toBe(2);
    expect(await transport.deadLetters.list(binding)).toEqual([]);
  });
}
