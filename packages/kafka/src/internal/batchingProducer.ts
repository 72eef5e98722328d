/**
 * One idempotent producer (acks=all) behind a queue: concurrent publishes are packed into produce
 * requests of up to `batchSize` records / `maxBatchBytes`, and a publish resolves only when every one
 * of its records was acknowledged by the broker.
 *
 * Exactly one produce request is in flight at a time. @platformatic/kafka 1.35 advances an idempotent
 * producer's sequence numbers only when a response arrives, so two concurrent sends to one partition
 * would reuse a sequence and be rejected; one request at a time also keeps per-partition order. Packing
 * whatever queued up while the previous request was out recovers the throughput.
 */
import type { EventfoldError } from '@eventfold/core';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import type { KafkaCompression, ResolvedKafkaOptions } from '../kafkaTransportOptions.js';
import { closedError, closeQuietly, toKafkaTransportError } from './kafkaErrors.js';
import type { KafkaRecord } from './recordCodec.js';

interface Entry {
  readonly records: KafkaRecord[];
  readonly compression: KafkaCompression;
  readonly resolve: () => void;
  readonly reject: (error: EventfoldError) => void;
  /** Index of the first record not yet handed to a request. */
  next: number;
  /** Requests carrying this entry's records that have not completed. */
  outstanding: number;
  failed: boolean;
}

interface Chunk {
  entry: Entry;
  records: KafkaRecord[];
}

const RECORD_OVERHEAD = 70;

function recordBytes(record: KafkaRecord): number {
  let size = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers instanceof Map) for (const [k, v] of record.headers) size += k.length + v.length + 2;
  return size;
}

export function createIdempotentProducer(options: ResolvedKafkaOptions, clientSuffix: string): Producer {
  return new Producer({
    clientId: `${options.clientId}-${clientSuffix}`,
    bootstrapBrokers: options.brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // InitProducerId must ask for a new identity (-1/-1); 1.35 sends 0/0 by default.
    producerId: -1n,
    producerEpoch: -1,
    retries: options.producer.retries,
    timeout: options.producer.timeoutMs,
    compression: options.producer.compression,
    autocreateTopics: false,
  });
}

export class BatchingProducer {
  private producer: Producer;
  private readonly queue: Entry[] = [];
  private sending = false;
  private scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private closed = false;
  private idle: Array<() => void> = [];
  private generation = 0;

  constructor(
    private readonly options: ResolvedKafkaOptions,
    private readonly name: string,
    /** Makes the client; tests pass a fake. */
    private readonly createProducer: (options: ResolvedKafkaOptions, clientSuffix: string) => Producer = createIdempotentProducer,
  ) {
    this.producer = createProducer(options, name);
  }

  /** Gets a producer id from the broker now, so the first send does not pay for it. Best effort. */
  async warm(): Promise<void> {
    // Once per client: InitProducerId again would cost a round trip per subscribe, and would reset the
    // sequence numbers under a send in flight (concurrent calls are deduplicated by the client).
    if (this.closed || this.producer.producerId !== undefined) return;
    await this.producer.initIdempotentProducer({}).catch(() => {});
  }

  /** Queues records (already validated) and resolves when the broker acknowledged all of them. */
  send(records: KafkaRecord[], compression: KafkaCompression): Promise<void> {
    if (this.closed) return Promise.reject(closedError('publish'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, compression, resolve, reject, next: 0, outstanding: 0, failed: false });
      this.schedule();
    });
  }

  private queuedRecords(): number {
    let n = 0;
    for (const entry of this.queue) n += entry.records.length - entry.next;
    return n;
  }

  private schedule(): void {
    if (this.sending || this.scheduled !== undefined) return;
    const { lingerMs, batchSize } = this.options.producer;
    const run = () => {
      this.scheduled = undefined;
      void this.drain();
    };
    if (lingerMs > 0 && this.queuedRecords() < batchSize) this.scheduled = setTimeout(run, lingerMs);
    else this.scheduled = setImmediate(run);
  }

  /** Takes the next request's worth of records: same compression as the head, within the limits. */
  private takeBatch(): Chunk[] {
    const { batchSize, maxBatchBytes } = this.options.producer;
    const chunks: Chunk[] = [];
    let count = 0;
    let bytes = 0;
    const compression = this.queue[0]?.compression;
    for (const entry of this.queue) {
      if (entry.compression !== compression || count >= batchSize) break;
      const records: KafkaRecord[] = [];
      while (entry.next < entry.records.length && count < batchSize) {
        const record = entry.records[entry.next] as KafkaRecord;
        const size = recordBytes(record);
        if (count > 0 && bytes + size > maxBatchBytes) break;
        records.push(record);
        entry.next += 1;
        count += 1;
        bytes += size;
      }
      if (records.length > 0) {
        entry.outstanding += 1;
        chunks.push({ entry, records });
      }
      if (entry.next < entry.records.length) break;
    }
    while (this.queue.length > 0 && (this.queue[0] as Entry).next >= (this.queue[0] as Entry).records.length) this.queue.shift();
    return chunks;
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const chunks = this.takeBatch();
        const compression = chunks[0]?.entry.compression ?? 'none';
        const messages = chunks.flatMap((c) => c.records);
        try {
          await this.producer.send({ messages, compression });
          for (const { entry } of chunks) {
            entry.outstanding -= 1;
            if (entry.outstanding === 0 && entry.next >= entry.records.length && !entry.failed) entry.resolve();
          }
        } catch (cause) {
          const topics = [...new Set(messages.map((m) => m.topic))];
          const error = toKafkaTransportError(cause, `publish to ${topics.map((t) => `"${t}"`).join(', ')}`, { topics, records: messages.length });
          for (const { entry } of chunks) {
            entry.outstanding -= 1;
            if (!entry.failed) {
              entry.failed = true;
              // Records of the entry still queued are dropped: the caller publishes the whole batch again.
              entry.next = entry.records.length;
              entry.reject(error);
            }
          }
          while (this.queue.length > 0 && (this.queue[0] as Entry).failed) this.queue.shift();
          // A failed idempotent producer may hold sequence numbers the broker never saw: start afresh.
          await this.replaceProducer();
        }
      }
    } finally {
      this.sending = false;
      if (this.queue.length > 0) this.schedule();
      else for (const wake of this.idle.splice(0)) wake();
    }
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.generation += 1;
    this.producer = this.createProducer(this.options, `${this.name}-${this.generation}`);
    await closeQuietly(old);
  }

  /** Waits until everything queued was sent (or failed). */
  flush(): Promise<void> {
    if (!this.sending && this.queue.length === 0 && this.scheduled === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await closeQuietly(this.producer);
  }
}
