/**
 * Consumer lag per group and partition from the admin API: the committed offset of the group
 * (ListConsumerGroupOffsets) against the partition's last stable offset (ListOffsets, read_committed).
 */
import { type Admin, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (next record it will read); undefined when it never committed. */
  readonly committedOffset: bigint | undefined;
  /** The partition's end (last stable offset). */
  readonly endOffset: bigint;
  /** Records the group has not yet committed: end − committed (end − log start when nothing is committed). */
  readonly lag: bigint;
}

export interface ConsumerLag {
  readonly group: string;
  readonly partitions: readonly PartitionLag[];
  /** Sum over all partitions. */
  readonly total: bigint;
}

export async function getConsumerLag(admin: Admin, group: string, topics: readonly string[]): Promise<ConsumerLag> {
  const metadata = await admin.metadata({ topics: [...topics] });
  const request = (timestamp: bigint) =>
    topics.map((name) => ({
      name,
      partitions: Array.from({ length: metadata.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
    }));
  const [ends, starts, committed] = await Promise.all([
    admin.listOffsets({ topics: request(ListOffsetTimestamps.LATEST), isolationLevel: FetchIsolationLevels.READ_COMMITTED }),
    admin.listOffsets({ topics: request(ListOffsetTimestamps.EARLIEST) }),
    admin.listConsumerGroupOffsets({ groups: [group] }),
  ]);
  const committedOf = new Map<string, bigint>();
  for (const g of committed) {
    for (const t of g.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) committedOf.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
  }
  const startOf = new Map<string, bigint>();
  for (const t of starts) for (const p of t.partitions) startOf.set(`${t.name}:${p.partitionIndex}`, p.offset);
  const partitions: PartitionLag[] = [];
  for (const t of ends) {
    for (const p of t.partitions) {
      const key = `${t.name}:${p.partitionIndex}`;
      const committedOffset = committedOf.get(key);
      const from = committedOffset ?? startOf.get(key) ?? 0n;
      const lag = p.offset > from ? p.offset - from : 0n;
      partitions.push({ topic: t.name, partition: p.partitionIndex, committedOffset, endOffset: p.offset, lag });
    }
  }
  partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { group, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0n) };
}
