/**
 * One consumer-group member of a binding. It reads the destination and the group's retry topic,
 * runs handlers with per-key order and bounded concurrency, and commits an offset only once the
 * handler of that record and of every earlier record of its partition has finished (succeeded, or
 * failed and been handed to the retry topic or the dead-letter topic, both acknowledged by the broker).
 *
 * Non-blocking retries: a failed record is re-published to `<destination>.<group>.retry` with its
 * next attempt number and due time, and its offset moves on; the retry record is held (not blocking
 * its partition) until due, then handled again. After the policy's last attempt it goes to `<destination>.dlq`.
 */
import {
  type Binding,
  type ConsumeOptions,
  type Consumer,
  type DeliveredMessage,
  EventfoldError,
  type MessageHandler,
  type RetryPolicy,
  toDeadLetterMessage,
  UnreadableMessageError,
} from '@eventfold/core';
import { FetchIsolationLevels, Consumer as KafkaClientConsumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { KafkaCompression, ResolvedKafkaOptions } from '../kafkaTransportOptions.js';
import type { BatchingProducer } from './batchingProducer.js';
import { closeQuietly, describeKafkaError, toKafkaTransportError } from './kafkaErrors.js';
import { KeyedScheduler } from './keyedScheduler.js';
import { PartitionOffsets } from './partitionOffsets.js';
import { fromKafkaRecord, KAFKA_HEADERS, type RecordEnvelope, toDelivered, toKafkaRecord } from './recordCodec.js';
import { deadLetterTopicOf, retryTopicOf } from './topicNames.js';

type Record = Message<Buffer, Buffer, Buffer, Buffer>;

export interface GroupConsumerSettings {
  options: ResolvedKafkaOptions;
  binding: Binding;
  group: string;
  handler: MessageHandler;
  consume: ConsumeOptions;
  policy: RetryPolicy;
  producer: BatchingProducer;
  compression: KafkaCompression;
  memberSuffix: string;
}

export class GroupConsumer implements Consumer {
  private client!: KafkaClientConsumer;
  private stream!: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  private readonly scheduler: KeyedScheduler;
  private readonly offsets = new Map<string, PartitionOffsets>();
  private readonly maxInFlight: number;
  private readonly retryTopic: string;
  private readonly stopSignal = new AbortController();
  private epoch = 0;
  private userPaused = false;
  private flowPaused = false;
  private inFlightCount = 0;
  private idleWaiters: Array<() => void> = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  readonly done: Promise<void>;

  constructor(private readonly s: GroupConsumerSettings) {
    const concurrency = s.binding.consumer?.concurrency ?? 1;
    this.scheduler = new KeyedScheduler(concurrency);
    this.maxInFlight = s.binding.consumer?.maxInFlight ?? 4 * concurrency;
    this.retryTopic = retryTopicOf(s.binding.destination, s.group);
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => {});
    s.consume.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  get paused(): boolean {
    return this.userPaused;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Joins the group and starts fetching; resolves once partitions are assigned. */
  async start(): Promise<void> {
    const { options, group, binding } = this.s;
    const c = options.consumer;
    this.client = new KafkaClientConsumer({
      clientId: `${options.clientId}-${this.s.memberSuffix}`,
      bootstrapBrokers: options.brokers,
      groupId: group,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: c.heartbeatIntervalMs,
      rebalanceTimeout: c.rebalanceTimeoutMs,
      maxWaitTime: c.maxWaitMs,
      maxBytes: c.maxBytesPerPoll,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      highWaterMark: c.maxRecordsPerPoll,
    });
    this.client.on('consumer:group:join', () => this.onRebalance());
    try {
      this.stream = await this.client.consume({
        topics: [binding.destination, this.retryTopic],
        mode: 'committed',
        fallbackMode: binding.kafka?.offsetReset ?? 'earliest',
        autocommit: false,
      });
    } catch (error) {
      await closeQuietly(this.client);
      throw toKafkaTransportError(error, `subscribe group "${group}" to "${binding.destination}"`, { group, destination: binding.destination });
    }
    this.stream.on('data', (record: Record) => this.onRecord(record));
    this.stream.on('error', (error: unknown) => void this.fail(error));
  }

  pause(): void {
    this.userPaused = true;
    this.updateFlow();
  }

  resume(): void {
    if (this.stopping) return;
    this.userPaused = false;
    this.updateFlow();
  }

  private updateFlow(): void {
    if (this.stream === undefined) return;
    const hold = this.userPaused || this.flowPaused || this.stopping !== undefined;
    if (hold && !this.stream.isPaused()) this.stream.pause();
    else if (!hold && this.stream.isPaused()) this.stream.resume();
  }

  private changeInFlight(delta: number): void {
    this.inFlightCount += delta;
    if (!this.flowPaused && this.inFlightCount >= this.maxInFlight) {
      this.flowPaused = true;
      this.updateFlow();
      this.s.consume.onPause?.();
    } else if (this.flowPaused && this.inFlightCount < this.maxInFlight / 2) {
      this.flowPaused = false;
      this.updateFlow();
      this.s.consume.onResume?.();
    }
    if (this.inFlightCount === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private isAssigned(topic: string, partition: number): boolean {
    const assignments = this.client.assignments;
    return assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false;
  }

  private onRecord(record: Record): void {
    if (this.stopping || !this.isAssigned(record.topic, record.partition)) return;
    const tp = `${record.topic}:${record.partition}`;
    let tracker = this.offsets.get(tp);
    if (tracker === undefined) {
      tracker = new PartitionOffsets();
      this.offsets.set(tp, tracker);
    }
    if (!tracker.delivered(record.offset)) return;
    const envelope = fromKafkaRecord(record);
    const epoch = this.epoch;
    this.changeInFlight(1);
    const key = envelope.message.key;
    const task = () => this.handle(record, envelope, epoch, tracker);
    if (record.topic === this.retryTopic && envelope.dueAt > this.s.options.clock.now().getTime()) {
      void this.s.options.sleep(envelope.dueAt - this.s.options.clock.now().getTime(), this.stopSignal.signal).then(() => {
        if (this.stopping || epoch !== this.epoch) this.changeInFlight(-1);
        else this.scheduler.submit(key, task);
      });
    } else {
      this.scheduler.submit(key, task);
    }
  }

  private async handle(record: Record, envelope: RecordEnvelope, epoch: number, tracker: PartitionOffsets): Promise<void> {
    let settled = false;
    try {
      if (this.stopping) return;
      const message = envelope.wellFormed
        ? envelope.message
        : { ...envelope.message, id: `kafka:${record.topic}:${record.partition}:${record.offset}`, type: envelope.message.type || 'unknown' };
      const delivered = toDelivered(message, this.s.binding.destination, envelope.attempt);
      try {
        if (!envelope.wellFormed) {
          throw new UnreadableMessageError(
            message,
            `the Kafka record lacks the ${KAFKA_HEADERS.id}/${KAFKA_HEADERS.type}/${KAFKA_HEADERS.schemaVersion} headers`,
          );
        }
        await this.s.handler(delivered);
        settled = true;
      } catch (error) {
        settled = await this.handOver(delivered, error);
      }
    } finally {
      if (settled && epoch === this.epoch) {
        tracker.finish(record.offset);
        this.scheduleCommit();
      }
      this.changeInFlight(-1);
    }
  }

  /** Publishes a failed message to the retry or dead-letter topic; true once the broker has it. */
  private async handOver(delivered: DeliveredMessage, error: unknown): Promise<boolean> {
    const { policy, binding, group, options, producer } = this.s;
    const now = options.clock.now();
    const { destination: _d, attempt, ...message } = delivered;
    const record = policy.shouldRetry(attempt, error)
      ? toKafkaRecord(this.retryTopic, message, {
          [KAFKA_HEADERS.retryAttempt]: String(attempt + 1),
          [KAFKA_HEADERS.retryDue]: String(now.getTime() + policy.delayAfter(attempt)),
        })
      : toKafkaRecord(
          deadLetterTopicOf(binding.destination),
          toDeadLetterMessage(message, { error, attempts: attempt, origin: binding.destination, group, at: now }),
        );
    for (let tries = 1; !this.stopping; tries += 1) {
      try {
        await producer.send([record], this.s.compression);
        return true;
      } catch (publishError) {
        // The record stays uncommitted; if we stop first it is redelivered to the group later.
        if (publishError instanceof EventfoldError && !publishError.retryable) return false;
        await options.sleep(Math.min(5_000, 100 * 2 ** tries), this.stopSignal.signal);
      }
    }
    return false;
  }

  private scheduleCommit(): void {
    if (this.commitTimer !== undefined) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commit();
    }, this.s.options.consumer.commitIntervalMs);
  }

  private takeOffsets(): Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> {
    const out = [];
    for (const [tp, tracker] of this.offsets) {
      const offset = tracker.takeCommit();
      if (offset === undefined) continue;
      const at = tp.lastIndexOf(':');
      out.push({ topic: tp.slice(0, at), partition: Number(tp.slice(at + 1)), offset, leaderEpoch: -1 });
    }
    return out;
  }

  /** Commits what finished; commits run one after another so offsets only move forward. */
  private commit(offsets = this.takeOffsets()): Promise<void> {
    if (offsets.length === 0) return this.commitChain;
    this.commitChain = this.commitChain.then(async () => {
      try {
        await this.client.commit({ offsets });
      } catch {
        // Not committed: the records are redelivered after a restart or rebalance (at-least-once).
      }
    });
    return this.commitChain;
  }

  private onRebalance(): void {
    // After a (re)join the client refetches from the committed offsets: queued work would run twice
    // and revoked partitions now belong to another member. Commit what finished, drop what is queued.
    if (this.offsets.size === 0 && this.scheduler.size === 0) return;
    void this.commit();
    this.epoch += 1;
    const dropped = this.scheduler.clearQueued();
    this.offsets.clear();
    if (dropped > 0) this.changeInFlight(-dropped);
  }

  private async fail(error: unknown): Promise<void> {
    if (this.stopping) return;
    const failure = toKafkaTransportError(error, `consume "${this.s.binding.destination}" as group "${this.s.group}"`);
    await this.shutdown().catch(() => {});
    this.settle.reject(new EventfoldError(failure.code, `${failure.message} (${describeKafkaError(error)})`, { cause: error, retryable: true }));
  }

  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.stopping = this.shutdown().then(
        () => this.settle.resolve(),
        (error) => this.settle.reject(error),
      );
    }
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopping ??= Promise.resolve();
    this.updateFlow();
    this.stopSignal.abort();
    if (this.inFlightCount > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.commitTimer !== undefined) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.commit();
    await this.stream?.close().catch(() => {});
    await closeQuietly(this.client);
  }
}
