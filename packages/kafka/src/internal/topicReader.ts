/**
 * Reads a whole topic, every partition from its log start to its end offset, with plain Fetch
 * requests and no consumer group (nothing to join, nothing committed). Used by the DLQ API and by
 * tests that check what a topic holds. `read_committed` stops at the last stable offset and drops
 * records of aborted transactions; `read_uncommitted` returns them too.
 */
import { Consumer, FetchIsolationLevels, IS_CONTROL, ListOffsetTimestamps } from '@platformatic/kafka';
import { closeQuietly } from './kafkaErrors.js';

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [Buffer | null, Buffer | null]>;
}

export interface ReadTopicOptions {
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Most bytes per fetch. Default 4 MiB. */
  maxBytes?: number;
}

/** A Consumer used only as a connection for Metadata/ListOffsets/Fetch; it never joins its group. */
export function createTopicReaderClient(brokers: string[], clientId: string): Consumer {
  return new Consumer({ clientId, bootstrapBrokers: brokers, groupId: `${clientId}.reader`, autocommit: false });
}

/** Reads `topic` with a fresh client, closed afterwards. */
export async function readTopic(brokers: string[], clientId: string, topic: string, options: ReadTopicOptions = {}): Promise<TopicRecord[]> {
  const client = createTopicReaderClient(brokers, clientId);
  try {
    return await readTopicWith(client, topic, options);
  } finally {
    await closeQuietly(client);
  }
}

/** Reads `topic` through an existing reader client (see `createTopicReaderClient`). */
export async function readTopicWith(client: Consumer, topic: string, options: ReadTopicOptions = {}): Promise<TopicRecord[]> {
  const isolationLevel = options.isolation === 'read_uncommitted' ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED;
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const metadata = await client.metadata({ topics: [topic], forceUpdate: true });
  const info = metadata.topics.get(topic);
  if (info === undefined) return [];
  const starts = (await client.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST })).get(topic) ?? [];
  const ends = (await client.listOffsets({ topics: [topic], isolationLevel })).get(topic) ?? [];
  const out: TopicRecord[] = [];
  for (let partition = 0; partition < info.partitionsCount; partition += 1) {
    let offset = starts[partition] ?? 0n;
    const end = ends[partition] ?? 0n;
    const leader = info.partitions[partition]?.leader ?? -1;
    while (offset < end) {
      const response = await client.fetch({
        node: leader,
        topics: [
          { topicId: info.id, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] },
        ],
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes,
        isolationLevel,
      });
      const batches = response.responses[0]?.partitions[0]?.records ?? [];
      if (batches.length === 0) break;
      for (const batch of batches) {
        const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
        if (!(batch.attributes & IS_CONTROL)) {
          for (const record of batch.records) {
            const recordOffset = batch.firstOffset + BigInt(record.offsetDelta);
            if (recordOffset < offset || recordOffset >= end) continue;
            out.push({
              topic,
              partition,
              offset: recordOffset,
              timestamp: batch.firstTimestamp + record.timestampDelta,
              key: record.key,
              value: record.value,
              headers: record.headers,
            });
          }
        }
        if (last + 1n > offset) offset = last + 1n;
      }
    }
  }
  return out;
}
