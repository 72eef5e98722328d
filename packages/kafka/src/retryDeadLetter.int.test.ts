/**
 * Non-blocking retries and dead letters on the real broker, at volume: among 10,000 messages one
 * always fails (5 attempts, delays 100/200/400/800 ms ±20%, then exactly one dead letter whose body is
 * byte-equal to the original) and one fails three times and then succeeds (processed once, never
 * dead-lettered); every other message is processed once.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  defineBinding,
  MESSAGE_DEAD_LETTERED_CHANNEL,
  MESSAGE_RETRY_CHANNEL,
  type MessageDeadLetteredMessage,
  type MessageRetryMessage,
  type OutgoingMessage,
} from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { KAFKA_HEADERS } from './internal/recordCodec.js';
import { retryTopicOf } from './internal/topicNames.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const TOTAL = 10_000;
const DELAYS = [100, 200, 400, 800];
const SCHEDULING_SLACK_MS = 2_000;

describe('Kafka retry topics and dead letters', () => {
  const transport = createKafkaTransport(kafkaTestOptions({ producer: { lingerMs: 2 } }));
  const binding = defineBinding('orders', {
    binder: 'kafka',
    destination: randomTopic('retry.orders'),
    group: randomTopic('retry.g'),
    kafka: { partitions: 3, compression: 'lz4' },
    consumer: { concurrency: 8, retry: { maxAttempts: 5, initialDelayMs: 100, multiplier: 2, maxDelayMs: 10_000, jitter: 0.2 } },
  });

  afterAll(async () => {
    await transport.deprovision(binding).catch(() => {});
    await transport.close();
  });

  it('retries with backoff, dead-letters the poison message once and processes the rest once', async () => {
    await transport.provision(binding);
    const poisonIndex = 4_321;
    const flakyIndex = 777;
    const messages: OutgoingMessage[] = Array.from({ length: TOTAL }, (_, n) => ({
      id: `m-${n}`,
      type: 'OrderPlaced',
      schemaVersion: 1,
      key: `order-${n % 250}`,
      contentType: 'application/json',
      headers: { n: String(n) },
      body: n === poisonIndex ? Uint8Array.from([0x7b, 0x00, 0xff, 0xfe, 0x22, 0x7d, 0x0a]) : Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(300) })),
    }));
    const poison = messages[poisonIndex] as OutgoingMessage;
    const flaky = messages[flakyIndex] as OutgoingMessage;
    const processed = new Map<string, number>();
    const poisonAttempts: Array<{ attempt: number; at: number; wall: number }> = [];
    const flakyAttempts: number[] = [];
    await transport.publish(binding, messages);
    const retryEvents: MessageRetryMessage[] = [];
    const deadLetterEvents: MessageDeadLetteredMessage[] = [];
    const onRetry = (m: unknown) => void retryEvents.push(m as MessageRetryMessage);
    const onDeadLetter = (m: unknown) => void deadLetterEvents.push(m as MessageDeadLetteredMessage);
    diagnostics.subscribe(MESSAGE_RETRY_CHANNEL, onRetry);
    diagnostics.subscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDeadLetter);
    const consumer = await transport.subscribe(binding, (m) => {
      if (m.id === poison.id) {
        poisonAttempts.push({ attempt: m.attempt, at: performance.now(), wall: Date.now() });
        throw new Error('poison: cannot be processed');
      }
      if (m.id === flaky.id) {
        flakyAttempts.push(m.attempt);
        if (m.attempt <= 3) throw new Error(`flaky failure on attempt ${m.attempt}`);
      }
      processed.set(m.id, (processed.get(m.id) ?? 0) + 1);
    });

    const deadline = Date.now() + 60_000;
    while ((processed.size < TOTAL - 1 || poisonAttempts.length < 5) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    let letters = await transport.deadLetters.list(binding);
    while (letters.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      letters = await transport.deadLetters.list(binding);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    await consumer.stop();
    diagnostics.unsubscribe(MESSAGE_RETRY_CHANNEL, onRetry);
    diagnostics.unsubscribe(MESSAGE_DEAD_LETTERED_CHANNEL, onDeadLetter);

    expect(processed.size, 'messages processed').toBe(TOTAL - 1);
    expect(
      [...processed.values()].every((count) => count === 1),
      'every message processed exactly once',
    ).toBe(true);
    expect(processed.has(poison.id)).toBe(false);
    expect(flakyAttempts, 'the flaky message: 3 failures, then success').toEqual([1, 2, 3, 4]);
    expect(processed.get(flaky.id)).toBe(1);

    expect(poisonAttempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
    // Observed gaps between attempts: never shorter than the delay allows. How late a retry runs on
    // top of its delay is CPU scheduling (one event loop consuming 10,000 records on a shared 2-core
    // machine), so the upper bound only catches a retry that waited for something else entirely.
    const gaps = poisonAttempts.slice(1).map((a, i) => a.at - (poisonAttempts[i] as { at: number }).at);
    gaps.forEach((gap, i) => {
      const d = DELAYS[i] as number;
      expect(gap, `gap before attempt ${i + 2}`).toBeGreaterThanOrEqual(d * 0.8 - 5);
      expect(gap, `gap before attempt ${i + 2}`).toBeLessThanOrEqual(d * 1.2 + SCHEDULING_SLACK_MS);
    });
    // Scheduled delays, read back from the retry records: due time − failure time within ±20%.
    const retries = (await transport.readTopic(retryTopicOf(binding.destination, binding.group as string))).filter(
      (r) => r.key?.toString() === poison.key && r.headers.some(([k, v]) => k?.toString() === KAFKA_HEADERS.id && v?.toString() === poison.id),
    );
    const scheduled = retries.map((r, i) => {
      const due = Number(r.headers.find(([k]) => k?.toString() === KAFKA_HEADERS.retryDue)?.[1]?.toString());
      return due - (poisonAttempts[i] as { wall: number }).wall;
    });
    expect(scheduled).toHaveLength(4);
    scheduled.forEach((delay, i) => {
      const d = DELAYS[i] as number;
      expect(delay, `scheduled delay after attempt ${i + 1}`).toBeGreaterThanOrEqual(d * 0.8 - 5);
      expect(delay, `scheduled delay after attempt ${i + 1}`).toBeLessThanOrEqual(d * 1.2 + 5);
    });

    // diagnostics_channel: 4 retries of the poison and 3 of the flaky message, one dead letter.
    const mine = retryEvents.filter((e) => e.destination === binding.destination);
    expect(mine.filter((e) => e.messageId === poison.id).map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(mine.filter((e) => e.messageId === flaky.id).map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(deadLetterEvents.filter((e) => e.destination === binding.destination).map((e) => [e.messageId, e.attempts])).toEqual([[poison.id, 5]]);
    expect(letters).toHaveLength(1);
    const letter = letters[0] as (typeof letters)[number];
    expect(letter.message.id).toBe(poison.id);
    expect(letter.attempts).toBe(5);
    expect(letter.reason).toContain('poison: cannot be processed');
    expect(letter.origin).toBe(binding.destination);
    expect(letter.group).toBe(binding.group);
    expect(letter.message.headers).toEqual(poison.headers);
    expect(Buffer.from(letter.message.body).equals(Buffer.from(poison.body)), 'dead letter body is byte-equal').toBe(true);
  });
});
