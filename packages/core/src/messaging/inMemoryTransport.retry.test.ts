/**
 * The "Must show" retry scenarios on the in-memory transport with a manual clock: exact backoff,
 * one dead letter byte-equal to the original, a flaky message processed once, replay twice → once,
 * and unreadable input dead-lettered while consumption goes on.
 */
import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { defineBinding } from './bindings.js';
import { createInMemoryInbox } from './inMemoryInbox.js';
import { createInMemoryTransport } from './inMemoryTransport.js';
import { createJsonSerde, encodeJsonMessage, withJsonSerde } from './jsonSerde.js';
import type { OutgoingMessage } from './message.js';
import { MESSAGE_DEAD_LETTERED_CHANNEL, MESSAGE_RETRY_CHANNEL } from './messagingDiagnostics.js';
import { createManualTimers } from './timers.js';

/** Seeded PRNG (mulberry32) so jitter is random-looking yet repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setup(seed = 42) {
  const timers = createManualTimers(createManualClock(Date.UTC(2026, 0, 1)));
  const transport = createInMemoryTransport({ clock: timers.clock, sleep: timers.sleep, random: seeded(seed) });
  const binding = defineBinding('orders-in', {
    binder: 'memory',
    destination: 'shop.orders',
    group: 'billing',
    consumer: { concurrency: 8, retry: { maxAttempts: 5, initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, jitter: 0.2 } },
  });
  return { timers, transport, binding };
}

const messages = (n: number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => encodeJsonMessage({ id: `m-${i}`, type: 'OrderPlaced', key: `order-${i % 100}`, data: { i, note: 'x'.repeat(40) } }));

describe('in-memory transport retries and dead letters (manual clock)', () => {
  for (const seed of [1, 2, 3])
    it(`poison 1 in 10,000: waits 100/200/400/800 ms ±20%, then one byte-equal dead letter; the other 9,999 are processed (seed ${seed})`, async () => {
      const { timers, transport, binding } = setup(seed);
      const sent = messages(10_000);
      const poison = sent[4_321]!;
      const attemptTimes: number[] = [];
      const processed = new Map<string, number>();
      await transport.subscribe(binding, (m) => {
        if (m.id === poison.id) {
          attemptTimes.push(timers.clock.now().getTime());
          throw new Error('cannot bill this order');
        }
        processed.set(m.id, (processed.get(m.id) ?? 0) + 1);
      });
      await transport.publish(binding, sent);
      await timers.flush();
      for (let step = 0; step < 20 && attemptTimes.length < 5; step += 1) await timers.advance(100);
      await timers.advance(1_000);
      expect(attemptTimes).toHaveLength(5);
      const gaps = attemptTimes.slice(1).map((t, i) => t - (attemptTimes[i] as number));
      [100, 200, 400, 800].forEach((base, i) => {
        expect(gaps[i], `delay ${i + 1}`).toBeGreaterThanOrEqual(base * 0.8);
        expect(gaps[i], `delay ${i + 1}`).toBeLessThanOrEqual(base * 1.2);
      });
      expect(new Set(gaps.map((g, i) => g / [100, 200, 400, 800][i]!)).size, 'jitter varies the delays').toBeGreaterThan(1);
      expect(processed.size).toBe(9_999);
      expect([...processed.values()].every((count) => count === 1)).toBe(true);
      const letters = await transport.deadLetters.list(binding);
      expect(letters).toHaveLength(1);
      expect(letters[0]!.attempts).toBe(5);
      expect(letters[0]!.reason).toBe('cannot bill this order');
      expect(letters[0]!.origin).toBe('shop.orders');
      expect(Buffer.from(letters[0]!.message.body).equals(Buffer.from(poison.body))).toBe(true);
      expect(letters[0]!.message.headers).toEqual(poison.headers);
    });

  it('a message failing 3 times then succeeding is processed once and never dead-lettered', async () => {
    const { timers, transport, binding } = setup();
    const [flaky, other] = messages(2);
    let failures = 0;
    const effects: string[] = [];
    await transport.subscribe(binding, (m) => {
      if (m.id === flaky!.id && failures < 3) {
        failures += 1;
        throw new Error(`transient ${failures}`);
      }
      effects.push(`${m.id}@${m.attempt}`);
    });
    await transport.publish(binding, [flaky!, other!]);
    await timers.advance(5_000);
    expect(effects.sort()).toEqual([`${flaky!.id}@4`, `${other!.id}@1`].sort());
    expect(await transport.deadLetters.list(binding)).toEqual([]);
  });

  it('replaying a dead letter after the fix processes it once, even when replay is called twice', async () => {
    const { timers, transport, binding } = setup();
    const [message] = messages(1);
    let fixed = false;
    const effects: string[] = [];
    const inbox = createInMemoryInbox();
    await transport.subscribe(
      binding,
      inbox.handler((m) => {
        if (!fixed) throw new Error('bug');
        effects.push(m.id);
      }),
    );
    await transport.publish(binding, [message!]);
    await timers.advance(5_000);
    const [letter] = await transport.deadLetters.list(binding);
    expect(letter?.message.id).toBe(message!.id);
    fixed = true;
    const replayed = [await transport.deadLetters.replay(binding, [letter!.deadLetterId]), await transport.deadLetters.replay(binding, [letter!.deadLetterId])];
    await timers.advance(100);
    expect(replayed).toEqual([1, 0]);
    // Even a second copy of the message (a broker that replays twice) has no second effect.
    await transport.publish(binding, [message!]);
    await timers.advance(100);
    expect(effects).toEqual([message!.id]);
    expect(await transport.deadLetters.list(binding)).toEqual([]);
  });

  it('dead-letters unreadable input at once with a clear reason while consumption continues', async () => {
    const { timers, transport, binding } = setup();
    const serde = createJsonSerde({ types: { OrderPlaced: [1, 2] } });
    const handled: number[] = [];
    await transport.subscribe(
      binding,
      withJsonSerde(serde, (m) => {
        handled.push((m.data as { i: number }).i);
      }),
    );
    const [a, b, c, d] = messages(4);
    await transport.publish(binding, [
      { ...a!, body: new TextEncoder().encode('<xml/>') },
      { ...b!, type: 'OrderTeleported' },
      { ...c!, schemaVersion: 3 },
      d!,
    ]);
    await timers.flush();
    expect(handled).toEqual([3]);
    const letters = await transport.deadLetters.list(binding);
    expect(letters.map((l) => [l.message.id, l.attempts, l.errorCode])).toEqual([
      [a!.id, 1, 'EVENTFOLD_UNREADABLE_MESSAGE'],
      [b!.id, 1, 'EVENTFOLD_UNREADABLE_MESSAGE'],
      [c!.id, 1, 'EVENTFOLD_UNREADABLE_MESSAGE'],
    ]);
    expect(letters[0]!.reason).toMatch(/body is not UTF-8 JSON/);
    expect(letters[1]!.reason).toMatch(/unknown type "OrderTeleported"; known types: OrderPlaced/);
    expect(letters[2]!.reason).toMatch(/unknown schema version 3 of "OrderPlaced"; this consumer reads versions 1, 2/);
    expect(timers.pending, 'no retries scheduled for unreadable input').toBe(0);
  });

  it('reports each retry and the dead letter on diagnostics channels', async () => {
    const { timers, transport, binding } = setup();
    const seen: Array<[string, unknown]> = [];
    const onRetry = (m: unknown) => seen.push(['retry', (m as { attempt: number }).attempt]);
    const onDead = (m: unknown) => seen.push(['dead', (m as { attempts: number; reason: string }).reason]);
    diagnostics.subscribe(MESSAGE_RETRY_CHANNEL, onRetry);
    diagnostics.subscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDead);
    try {
      await transport.subscribe(binding, () => {
        throw new Error('always');
      });
      await transport.publish(binding, messages(1));
      await timers.advance(5_000);
    } finally {
      diagnostics.unsubscribe(MESSAGE_RETRY_CHANNEL, onRetry);
      diagnostics.unsubscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDead);
    }
    expect(seen).toEqual([
      ['retry', 1],
      ['retry', 2],
      ['retry', 3],
      ['retry', 4],
      ['dead', 'always'],
    ]);
  });
});
