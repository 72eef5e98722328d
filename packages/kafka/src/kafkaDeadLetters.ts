/**
 * The DLQ API over `<destination>.dlq`. A Kafka topic is append-only, so removing a dead letter
 * (after replay or purge) appends a marker record naming it:
 *
 *   marker record: key = dead-letter id, empty value, headers
 *     eventfold-dlq-removed   the dead-letter id it removes ("<partition>:<offset>")
 *     eventfold-dlq-group     the group whose letter it was
 *
 * Listing reads the whole DLQ topic (it is small: one record per message a group gave up on) and
 * drops removed letters. Replay publishes the original message to the group's retry topic as a new
 * first attempt, so only the group that gave up on it sees it again. Operations of one transport run
 * one at a time, so replaying the same id twice publishes it once.
 */
import {
  type Binding,
  type DeadLetter,
  type DeadLetterQueue,
  fromDeadLetterMessage,
  type ListDeadLettersOptions,
  MESSAGE_HEADERS,
  requireGroup,
} from '@eventfold/core';
import type { BatchingProducer } from './internal/batchingProducer.js';
import { toKafkaTransportError } from './internal/kafkaErrors.js';
import { fromKafkaRecord, KAFKA_HEADERS, type KafkaRecord, toKafkaRecord } from './internal/recordCodec.js';
import { deadLetterTopicOf, retryTopicOf } from './internal/topicNames.js';
import type { TopicRecord } from './internal/topicReader.js';
import type { KafkaCompression } from './kafkaTransportOptions.js';

export const DLQ_REMOVED_HEADER = 'eventfold-dlq-removed';
const GROUP_HEADER = MESSAGE_HEADERS.deadLetterGroup;

export interface KafkaDeadLettersDependencies {
  /** Reads a whole topic (the transport's shared reader client). */
  read: (topic: string) => Promise<TopicRecord[]>;
  producer: () => BatchingProducer;
  compressionOf: (binding: Binding) => KafkaCompression;
  now: () => Date;
}

function header(record: TopicRecord, name: string): string | undefined {
  for (const [k, v] of record.headers) if (k?.toString() === name) return v?.toString() ?? '';
  return undefined;
}

export function createKafkaDeadLetters(deps: KafkaDeadLettersDependencies): DeadLetterQueue {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };

  async function load(binding: Binding): Promise<DeadLetter[]> {
    const group = requireGroup(binding);
    const topic = deadLetterTopicOf(binding.destination);
    let records: TopicRecord[];
    try {
      records = await deps.read(topic);
    } catch (error) {
      throw toKafkaTransportError(error, `read dead letters from "${topic}"`, { topic });
    }
    const removed = new Set<string>();
    for (const r of records) {
      const id = header(r, DLQ_REMOVED_HEADER);
      if (id !== undefined) removed.add(id);
    }
    const letters: DeadLetter[] = [];
    for (const r of records) {
      if (header(r, DLQ_REMOVED_HEADER) !== undefined || header(r, GROUP_HEADER) !== group) continue;
      const id = `${r.partition}:${r.offset}`;
      if (removed.has(id)) continue;
      letters.push(fromDeadLetterMessage(id, fromKafkaRecord(r).message));
    }
    return letters;
  }

  function marker(binding: Binding, letter: DeadLetter): KafkaRecord {
    const headers = new Map<Buffer, Buffer>([
      [Buffer.from(DLQ_REMOVED_HEADER), Buffer.from(letter.deadLetterId)],
      [Buffer.from(GROUP_HEADER), Buffer.from(letter.group ?? '')],
    ]);
    return { topic: deadLetterTopicOf(binding.destination), key: Buffer.from(letter.deadLetterId), value: Buffer.alloc(0), headers };
  }

  function pick(letters: DeadLetter[], ids: readonly string[] | undefined): DeadLetter[] {
    if (ids === undefined) return letters;
    const wanted = new Set(ids);
    return letters.filter((l) => wanted.has(l.deadLetterId));
  }

  return {
    list: (binding: Binding, options: ListDeadLettersOptions = {}) => serial(async () => (await load(binding)).slice(0, options.limit ?? 100)),

    inspect: (binding: Binding, deadLetterId: string) => serial(async () => (await load(binding)).find((l) => l.deadLetterId === deadLetterId)),

    replay: (binding: Binding, deadLetterIds?: readonly string[]) =>
      serial(async () => {
        const targets = pick(await load(binding), deadLetterIds);
        if (targets.length === 0) return 0;
        const retryTopic = retryTopicOf(binding.destination, requireGroup(binding));
        const due = String(deps.now().getTime());
        const replays = targets.map((l) => toKafkaRecord(retryTopic, l.message, { [KAFKA_HEADERS.retryAttempt]: '1', [KAFKA_HEADERS.retryDue]: due }));
        // Publish first, then mark removed: a crash in between replays again, which consumers dedupe.
        await deps.producer().send(replays, deps.compressionOf(binding));
        await deps.producer().send(
          targets.map((l) => marker(binding, l)),
          'none',
        );
        return targets.length;
      }),

    purge: (binding: Binding, deadLetterIds?: readonly string[]) =>
      serial(async () => {
        const targets = pick(await load(binding), deadLetterIds);
        if (targets.length === 0) return 0;
        await deps.producer().send(
          targets.map((l) => marker(binding, l)),
          'none',
        );
        return targets.length;
      }),
  };
}
