/**
 * Non-blocking retries through TTL delay queues and the dead-letter queue, on the real broker:
 * a poison message among 10,000, a flaky one, replay after the fix (deduped by the core inbox),
 * and unreadable input from a foreign publisher.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  type Binding,
  createInMemoryInbox,
  createJsonSerde,
  encodeJsonMessage,
  MESSAGE_DEAD_LETTERED_CHANNEL,
  MESSAGE_RETRY_CHANNEL,
  type MessageDeadLetteredMessage,
  type MessageRetryMessage,
  withJsonSerde,
} from '@eventfold/core';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqTransport, type RabbitMqTransport } from './index.js';
import { deleteAll, queuesOf, RABBITMQ_URL, rabbitBinding, suffix, waitFor } from './test/rabbitTestKit.js';

const cleanup: Binding[] = [];
const transports: RabbitMqTransport[] = [];

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await deleteAll({ queues: cleanup.flatMap((b) => queuesOf(b)), exchanges: cleanup.map((b) => b.destination) });
});

async function open(): Promise<RabbitMqTransport> {
  const transport = await createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: `retries-${suffix()}` });
  transports.push(transport);
  return transport;
}

describe('retries and dead letters', () => {
  it('poison 1 in 10,000: delays 100/200/400/800 ms ±20%, one byte-equal dead letter, 9,999 processed; flaky processed once; replay after the fix has one effect', async () => {
    const transport = await open();
    const binding = rabbitBinding('in', {
      destination: `t.poison.${suffix()}`,
      group: 'billing',
      consumer: { concurrency: 8, maxInFlight: 128, retry: { maxAttempts: 5, initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, jitter: 0.2 } },
    });
    cleanup.push(binding);
    const total = 10_000;
    const messages = Array.from({ length: total }, (_, i) =>
      encodeJsonMessage({ id: `m-${i}`, type: 'PaymentCaptured', key: `acct-${i % 101}`, data: { i, amount: i * 3 } }),
    );
    const poison = messages[7_000]!;
    const flaky = messages[2_500]!;
    const poisonAttempts: Array<{ attempt: number; at: number }> = [];
    const flakyAttempts: number[] = [];
    const effects = new Map<string, number>();
    let fixed = false;
    const inbox = createInMemoryInbox();
    const observed: string[] = [];
    const onRetry = (m: unknown) => {
      const r = m as MessageRetryMessage;
      if (r.destination === binding.destination && r.messageId === poison.id) observed.push(`retry ${r.attempt} ${r.delayMs}`);
    };
    const onDeadLetter = (m: unknown) => {
      const d = m as MessageDeadLetteredMessage;
      if (d.destination === binding.destination) observed.push(`dead ${d.messageId} ${d.attempts}`);
    };
    diagnostics.subscribe(MESSAGE_RETRY_CHANNEL, onRetry);
    diagnostics.subscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDeadLetter);
    await transport.subscribe(
      binding,
      inbox.handler((m) => {
        if (m.id === poison.id && !fixed) {
          poisonAttempts.push({ attempt: m.attempt, at: performance.now() });
          throw new Error('cannot capture payment: card processor says 402');
        }
        if (m.id === flaky.id) {
          flakyAttempts.push(m.attempt);
          if (flakyAttempts.length <= 3) throw new Error(`transient failure ${flakyAttempts.length}`);
        }
        effects.set(m.id, (effects.get(m.id) ?? 0) + 1);
      }),
    );
    for (let i = 0; i < total; i += 500) await transport.publish(binding, messages.slice(i, i + 500));

    await waitFor('9,999 messages processed', () => effects.size === total - 1, 60_000);
    await waitFor('the poison message dead-lettered', async () => (await transport.deadLetters.list(binding)).length === 1, 30_000);

    const gaps = poisonAttempts.slice(1).map((a, i) => Math.round(a.at - poisonAttempts[i]!.at));
    console.log(`[poison] attempt gaps ms: ${gaps.join(', ')}`);
    expect(poisonAttempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
    diagnostics.unsubscribe(MESSAGE_RETRY_CHANNEL, onRetry);
    diagnostics.unsubscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDeadLetter);
    // Observability: the same diagnostics_channel events as every binder.
    expect(observed.map((o) => o.replace(/ \d+$/, ' _'))).toEqual(['retry 1 _', 'retry 2 _', 'retry 3 _', 'retry 4 _', `dead ${poison.id} _`]);
    expect(observed.at(-1)).toBe(`dead ${poison.id} 5`);
    // The TTL chosen per attempt is the nominal delay ±20% (jitter); the gap the handler sees is that TTL
    // plus the broker's expiry, dead-letter hop and redelivery (allowed: up to 150 ms on a loaded 2-core CI box).
    const delays = observed.slice(0, 4).map((o) => Number(o.split(' ')[2]));
    console.log(`[poison] TTLs ms: ${delays.join(', ')}`);
    [100, 200, 400, 800].forEach((nominal, i) => {
      expect(delays[i], `TTL after attempt ${i + 1}`).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(delays[i], `TTL after attempt ${i + 1}`).toBeLessThanOrEqual(nominal * 1.2);
      expect(gaps[i], `gap after attempt ${i + 1}`).toBeGreaterThanOrEqual((delays[i] as number) - 2);
      expect(gaps[i], `gap after attempt ${i + 1}`).toBeLessThanOrEqual((delays[i] as number) + 150);
    });

    const [letter] = await transport.deadLetters.list(binding);
    expect(letter?.message.id).toBe(poison.id);
    expect(letter?.attempts).toBe(5);
    expect(letter?.reason).toContain('card processor says 402');
    expect(letter?.origin).toBe(binding.destination);
    expect(letter?.group).toBe('billing');
    expect(Buffer.from(letter!.message.body).equals(Buffer.from(poison.body))).toBe(true);
    expect(flakyAttempts).toEqual([1, 2, 3, 4]);
    expect(effects.get(flaky.id)).toBe(1);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);

    // The fix ships; replay is called twice at once and once more later. One effect.
    fixed = true;
    const replays = await Promise.all([
      transport.deadLetters.replay(binding, [letter!.deadLetterId]),
      transport.deadLetters.replay(binding, [letter!.deadLetterId]),
    ]);
    expect(replays[0] + replays[1]).toBe(1);
    await waitFor('the replayed message', () => effects.get(poison.id) === 1);
    expect(await transport.deadLetters.replay(binding, [letter!.deadLetterId])).toBe(0);
    // A duplicate of the same message (a producer retry) is swallowed by the inbox.
    await transport.publish(binding, [poison]);
    await waitFor('the duplicate to be seen', () => inbox.has(poison.id));
    await new Promise((r) => setTimeout(r, 300));
    expect(effects.get(poison.id)).toBe(1);
    expect(await transport.deadLetters.list(binding)).toEqual([]);
  });

  it('unreadable input from a foreign publisher goes to the DLQ with a clear reason, and consumption continues', async () => {
    const transport = await open();
    const binding = rabbitBinding('in', { destination: `t.unreadable.${suffix()}`, group: 'g' });
    cleanup.push(binding);
    const serde = createJsonSerde({ types: { OrderPlaced: [1, 2] } });
    const handled: string[] = [];
    await transport.subscribe(
      binding,
      withJsonSerde(serde, (m) => {
        handled.push(m.id);
      }),
    );
    // Publish with a plain amqplib channel, as another service that ignores our conventions would.
    const raw = await amqp.connect(RABBITMQ_URL);
    const channel = await raw.createConfirmChannel();
    const send = (content: string, options: amqp.Options.Publish) =>
      new Promise<void>((resolve, reject) =>
        channel.publish(binding.destination, 'OrderPlaced', Buffer.from(content), options, (e) => (e ? reject(e) : resolve())),
      );
    await send('{"orderId": 1}', { type: 'OrderPlaced' });
    await send('<order id="2"/>', { messageId: 'not-json', type: 'OrderPlaced', contentType: 'application/json' });
    await send('{"orderId": 3}', { messageId: 'unknown-type', type: 'OrderTeleported', contentType: 'application/json' });
    await send('{"orderId": 4}', {
      messageId: 'unknown-version',
      type: 'OrderPlaced',
      contentType: 'application/json',
      headers: { 'eventfold-schema-version': '7' },
    });
    await send('{"orderId": 5}', {
      messageId: 'bad-version',
      type: 'OrderPlaced',
      contentType: 'application/json',
      headers: { 'eventfold-schema-version': 'two' },
    });
    await send('{"orderId": 6}', { messageId: 'fine', type: 'OrderPlaced', contentType: 'application/json', headers: { 'eventfold-schema-version': '2' } });
    await raw.close();

    await waitFor('the readable message', () => handled.includes('fine'));
    await waitFor('five dead letters', async () => (await transport.deadLetters.list(binding)).length === 5);
    const letters = await transport.deadLetters.list(binding);
    const reasons = Object.fromEntries(letters.map((l) => [l.message.id || '(no id)', l.reason]));
    expect(reasons['(no id)']).toMatch(/no message-id/);
    expect(reasons['not-json']).toMatch(/not UTF-8 JSON/);
    expect(reasons['unknown-type']).toMatch(/unknown type "OrderTeleported"/);
    expect(reasons['unknown-version']).toMatch(/unknown schema version 7/);
    expect(reasons['bad-version']).toMatch(/schema version "two"/);
    for (const letter of letters) {
      expect(letter.errorCode).toBe('EVENTFOLD_UNREADABLE_MESSAGE');
      expect(letter.attempts).toBe(1);
    }
    expect(handled).toEqual(['fine']);
  });
});
