/**
 * One consumer-group member of a binding. It reads the destination and the group's retry topic,
 * runs handlers with per-key order and bounded concurrency, and commits an offset only once the
 * handler of that record and of every earlier record of its partition has finished (succeeded, or
 * failed and been handed to the retry topic or the dead-letter topic, both acknowledged by the broker).
 *
 * Non-blocking retries: a failed record is re-published to `<destination>.<group>.retry` with its
 * next attempt number and due time, and its offset moves on; the retry record is held (not blocking
 * its partition) until due, then handled again. After the policy's last attempt it goes to `<destination>.dlq`.
 * The retry topic is read by a second client (group `<group>.retry`) with its own fetch buffer, so a
 * backlog on the destination never delays a due retry.
 */
import {
  type Binding,
  type ConsumeOptions,
  type Consumer,
  type DeliveredMessage,
  EventfoldError,
  MESSAGE_HEADERS,
  type MessageHandler,
  publishMessageDeadLettered,
  publishMessageRetry,
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
import { type DecodedRecord, decodeDelivered, KAFKA_HEADERS, toKafkaRecord } from './recordCodec.js';
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

/** One client reading one topic: the destination (the binding's group) or the retry topic (`<group>.retry`). */
interface Lane {
  readonly name: 'main' | 'retry';
  readonly topic: string;
  readonly groupId: string;
  client: KafkaClientConsumer;
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  readonly offsets: Map<number, PartitionOffsets>;
  /** Bumped on every group (re)join; work started under an older epoch does not commit. */
  epoch: number;
  inFlight: number;
  draining: boolean;
  assignmentsSeen: unknown;
  assigned: Set<number>;
  recovering: boolean;
  recoveries: number;
}

/** One delivered record on its way through the scheduler: everything settling it needs, in one object. */
interface Delivery extends DecodedRecord {
  readonly lane: Lane;
  readonly record: Record;
  readonly tracker: PartitionOffsets;
  /** The record's slot in its partition's offset window. */
  readonly slot: number;
  /** The lane's epoch at delivery: work from before a rebalance does not commit. */
  readonly epoch: number;
}

/** Tries to rejoin after a lane's stream failed (backoff 0.25, 0.5, 1, 2, 4, 5, 5 … s: about a minute). */
const RECOVERY_ATTEMPTS = 15;

/** Destroys a lane's stream and waits until its fetch connections are closed. */
function destroyStream(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined): Promise<void> {
  if (stream === undefined || stream.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });
}

export function retryGroupOf(group: string): string {
  return `${group}.retry`;
}

export class GroupConsumer implements Consumer {
  private readonly lanes: Lane[];
  private readonly scheduler: KeyedScheduler<Delivery>;
  private readonly maxInFlight: number;
  private readonly stopSignal = new AbortController();
  private userPaused = false;
  private flowPaused = false;
  private inFlightCount = 0;
  private idleWaiters: Array<() => void> = [];
  private commitTimer: NodeJS.Timeout | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** The retry member's start (it joins in the background); awaited on shutdown so no client outlives stop(). */
  private retryStarting: Promise<void> = Promise.resolve();
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  readonly done: Promise<void>;

  constructor(private readonly s: GroupConsumerSettings) {
    const concurrency = s.binding.consumer?.concurrency ?? 1;
    this.scheduler = new KeyedScheduler<Delivery>(concurrency, (delivery) => this.handle(delivery));
    this.maxInFlight = s.binding.consumer?.maxInFlight ?? 4 * concurrency;
    const lane = (name: Lane['name'], topic: string, groupId: string): Lane => ({
      name,
      topic,
      groupId,
      client: undefined as unknown as KafkaClientConsumer,
      stream: undefined,
      offsets: new Map(),
      epoch: 0,
      inFlight: 0,
      draining: false,
      assignmentsSeen: undefined,
      assigned: new Set(),
      recovering: false,
      recoveries: 0,
    });
    this.lanes = [lane('main', s.binding.destination, s.group), lane('retry', retryTopicOf(s.binding.destination, s.group), retryGroupOf(s.group))];
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

  /** How often a lane rejoined after its stream failed. */
  get recoveries(): number {
    return this.lanes.reduce((n, lane) => n + lane.recoveries, 0);
  }

  /**
   * Joins the binding's group and starts fetching; resolves once its partitions are assigned. The retry
   * member joins `<group>.retry` meanwhile without holding the caller up: it reads its topic from the
   * committed offsets (earliest when none), so nothing published to it before is missed, and a failure
   * to join goes through the same recovery as a failed stream (then `done` rejects).
   */
  async start(): Promise<void> {
    const { binding, group } = this.s;
    const [main, retry] = this.lanes as [Lane, Lane];
    this.retryStarting = this.startLane(retry).catch((error: unknown) => this.recover(retry, error));
    try {
      await this.startLane(main);
    } catch (error) {
      await closeQuietly(main.client);
      await this.shutdown().catch(() => {});
      throw toKafkaTransportError(error, `subscribe group "${group}" to "${binding.destination}"`, { group, destination: binding.destination });
    }
  }

  private async startLane(lane: Lane): Promise<void> {
    const { options, binding } = this.s;
    const c = options.consumer;
    lane.client = new KafkaClientConsumer({
      clientId: `${options.clientId}-${this.s.memberSuffix}-${lane.name}`,
      bootstrapBrokers: options.brokers,
      groupId: lane.groupId,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: c.heartbeatIntervalMs,
      rebalanceTimeout: c.rebalanceTimeoutMs,
      maxWaitTime: c.maxWaitMs,
      maxBytes: c.maxBytesPerPoll,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      highWaterMark: c.maxRecordsPerPoll,
    });
    lane.client.on('consumer:group:join', () => this.onRebalance(lane));
    const stream = await lane.client.consume({
      topics: [lane.topic],
      mode: 'committed',
      fallbackMode: lane.name === 'main' ? (binding.kafka?.offsetReset ?? 'earliest') : 'earliest',
      autocommit: false,
    });
    if (this.stopping !== undefined) {
      // Stopped while joining (the retry member joins in the background): nothing may be read any more.
      await destroyStream(stream);
      return;
    }
    lane.stream = stream;
    stream.on('readable', () => this.drain(lane));
    stream.on('error', (error: unknown) => void this.recover(lane, error));
    this.updateFlow();
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

  private held(lane: Lane): boolean {
    // The retry lane has its own budget: a backlog on the destination must not hold due retries back.
    const full = lane.name === 'main' ? this.flowPaused : lane.inFlight >= this.maxInFlight;
    return this.userPaused || full || this.stopping !== undefined;
  }

  private updateFlow(): void {
    for (const lane of this.lanes) this.drain(lane);
  }

  /**
   * Pulls buffered records while the lane may take more. The stream runs in paused mode: it fetches
   * only while its buffer is below `maxRecordsPerPoll`, so holding back here is the backpressure (no
   * pause()/resume() calls, each of which would start an extra fetch in @platformatic/kafka 1.35).
   */
  private drain(lane: Lane): void {
    const stream = lane.stream;
    if (stream === undefined || lane.draining) return;
    lane.draining = true;
    try {
      while (!this.held(lane)) {
        const record = stream.read() as Record | null;
        if (record === null) break;
        this.onRecord(lane, record);
      }
    } finally {
      lane.draining = false;
    }
  }

  private changeInFlight(lane: Lane, delta: number): void {
    lane.inFlight += delta;
    this.inFlightCount += delta;
    if (lane.name === 'retry') this.updateFlow();
    if (!this.flowPaused && this.inFlightCount >= this.maxInFlight) {
      this.flowPaused = true;
      this.updateFlow();
      this.s.consume.onPause?.();
    } else if (this.flowPaused && this.inFlightCount < this.maxInFlight / 2) {
      this.flowPaused = false;
      this.updateFlow();
      this.s.consume.onResume?.();
    }
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Whether the lane's client owns `partition` now; the set is rebuilt when the assignment changes. */
  private isAssigned(lane: Lane, partition: number): boolean {
    const assignments = lane.client.assignments;
    if (assignments !== lane.assignmentsSeen) {
      lane.assignmentsSeen = assignments;
      lane.assigned = new Set(assignments?.filter((a) => a.topic === lane.topic).flatMap((a) => a.partitions) ?? []);
    }
    return lane.assigned.has(partition);
  }

  private onRecord(lane: Lane, record: Record): void {
    if (this.stopping || !this.isAssigned(lane, record.partition)) return;
    let tracker = lane.offsets.get(record.partition);
    if (tracker === undefined) {
      tracker = new PartitionOffsets();
      lane.offsets.set(record.partition, tracker);
    }
    const slot = tracker.delivered(record.offset);
    if (slot < 0) return;
    const delivery: Delivery = { lane, record, message: undefined as never, dueAt: 0, wellFormed: false, tracker, slot, epoch: lane.epoch };
    decodeDelivered(record, this.s.binding.destination, delivery);
    this.changeInFlight(lane, 1);
    if (lane.name === 'retry') {
      const wait = delivery.dueAt - this.s.options.clock.now().getTime();
      if (wait > 0) {
        void this.s.options.sleep(wait, this.stopSignal.signal).then(() => {
          if (this.stopping || delivery.epoch !== lane.epoch) this.changeInFlight(lane, -1);
          else this.scheduler.submit(delivery.message.key, delivery, lane.name);
        });
        return;
      }
    }
    this.scheduler.submit(delivery.message.key, delivery, lane.name);
  }

  /** Runs the handler; a synchronous handler settles without a promise (the common, fast case). */
  private handle(delivery: Delivery): void | Promise<void> {
    if (this.stopping) {
      this.settleRecord(delivery, false);
      return;
    }
    const { message: delivered, record } = delivery;
    if (!delivery.wellFormed) {
      const message = { ...delivered, id: `kafka:${record.topic}:${record.partition}:${record.offset}`, type: delivered.type || 'unknown' };
      const error = new UnreadableMessageError(
        message,
        `the Kafka record lacks the ${KAFKA_HEADERS.id}/${KAFKA_HEADERS.type}/${KAFKA_HEADERS.schemaVersion} headers`,
      );
      return this.failed(delivery, message, error);
    }
    let result: unknown;
    try {
      result = this.s.handler(delivered);
    } catch (error) {
      return this.failed(delivery, delivered, error);
    }
    if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === 'function') {
      return Promise.resolve(result as PromiseLike<void>).then(
        () => this.settleRecord(delivery, true),
        (error: unknown) => this.failed(delivery, delivered, error),
      );
    }
    this.settleRecord(delivery, true);
  }

  private async failed(delivery: Delivery, delivered: DeliveredMessage, error: unknown): Promise<void> {
    let handedOver = false;
    try {
      handedOver = await this.handOver(delivered, error);
    } finally {
      this.settleRecord(delivery, handedOver);
    }
  }

  /** Exactly once per delivered record: marks it finished (when it may be committed) and frees its slot. */
  private settleRecord(delivery: Delivery, finished: boolean): void {
    const lane = delivery.lane;
    if (finished && delivery.epoch === lane.epoch) {
      delivery.tracker.finish(delivery.slot);
      this.scheduleCommit();
    }
    this.changeInFlight(lane, -1);
  }

  /** Publishes a failed message to the retry or dead-letter topic; true once the broker has it. */
  private async handOver(delivered: DeliveredMessage, error: unknown): Promise<boolean> {
    const { policy, binding, group, options, producer } = this.s;
    const now = options.clock.now();
    const { destination: _d, attempt, ...message } = delivered;
    const retry = policy.shouldRetry(attempt, error);
    const delayMs = retry ? policy.delayAfter(attempt) : 0;
    const deadLetter = retry ? undefined : toDeadLetterMessage(message, { error, attempts: attempt, origin: binding.destination, group, at: now });
    const record =
      deadLetter === undefined
        ? toKafkaRecord((this.lanes[1] as Lane).topic, message, {
            [KAFKA_HEADERS.retryAttempt]: String(attempt + 1),
            [KAFKA_HEADERS.retryDue]: String(now.getTime() + delayMs),
          })
        : toKafkaRecord(deadLetterTopicOf(binding.destination), deadLetter);
    for (let tries = 1; !this.stopping; tries += 1) {
      try {
        await producer.send([record], this.s.compression);
        if (deadLetter === undefined) {
          publishMessageRetry({ destination: binding.destination, group, messageId: message.id, attempt, delayMs, error });
        } else {
          const reason = deadLetter.headers[MESSAGE_HEADERS.deadLetterReason] ?? '';
          publishMessageDeadLettered({ destination: binding.destination, group, messageId: message.id, type: message.type, attempts: attempt, reason });
        }
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
      void this.commitAll();
    }, this.s.options.consumer.commitIntervalMs);
  }

  private commitAll(): Promise<void> {
    return Promise.all(this.lanes.map((lane) => this.commit(lane))).then(() => {});
  }

  /** Commits what finished; commits run one after another so offsets only move forward. */
  private commit(lane: Lane): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> = [];
    for (const [partition, tracker] of lane.offsets) {
      const offset = tracker.takeCommit();
      if (offset !== undefined) offsets.push({ topic: lane.topic, partition, offset, leaderEpoch: -1 });
    }
    if (offsets.length === 0) return this.commitChain;
    this.commitChain = this.commitChain.then(async () => {
      try {
        await lane.client.commit({ offsets });
      } catch {
        // Not committed: the records are redelivered after a restart or rebalance (at-least-once).
      }
    });
    return this.commitChain;
  }

  private onRebalance(lane: Lane): void {
    // After a (re)join the client refetches from the committed offsets: queued work would run twice
    // and revoked partitions now belong to another member. Commit what finished, drop what is queued.
    if (lane.offsets.size === 0) return;
    void this.commit(lane);
    lane.epoch += 1;
    const dropped = this.scheduler.clearQueued(lane.name);
    lane.offsets.clear();
    if (dropped > 0) this.changeInFlight(lane, -dropped);
  }

  /**
   * A lane's stream died (the client gave up after its own retries: broker restarted, network gone).
   * Rejoin with a new client, backing off, for up to `RECOVERY_ATTEMPTS` tries; what was queued is
   * dropped and redelivered from the committed offsets. Only then does `done` reject.
   */
  private async recover(lane: Lane, error: unknown): Promise<void> {
    if (this.stopping || lane.recovering) return;
    lane.recovering = true;
    lane.epoch += 1;
    lane.offsets.clear();
    const dropped = this.scheduler.clearQueued(lane.name);
    if (dropped > 0) this.changeInFlight(lane, -dropped);
    const old = lane.client;
    lane.stream = undefined;
    await closeQuietly(old);
    let last = error;
    for (let attempt = 1; attempt <= RECOVERY_ATTEMPTS && !this.stopping; attempt += 1) {
      await this.s.options.sleep(Math.min(5_000, 250 * 2 ** (attempt - 1)), this.stopSignal.signal);
      if (this.stopping) break;
      try {
        await this.startLane(lane);
        lane.recoveries += 1;
        lane.recovering = false;
        return;
      } catch (startError) {
        last = startError;
        await closeQuietly(lane.client);
      }
    }
    lane.recovering = false;
    if (!this.stopping) await this.fail(last);
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
    // Nothing runs any more, so what is buffered or being fetched is dropped (it was never committed).
    // Destroying the streams drops their fetch connections at once; close() would first wait for a
    // pending long-poll fetch (up to maxWaitMs). Commits go through the clients, closed after.
    await Promise.all([...this.lanes.map((lane) => destroyStream(lane.stream)), this.commitAll()]);
    await Promise.all(this.lanes.map((lane) => closeQuietly(lane.client)));
    await this.retryStarting;
    // A retry client made by a recovery that was under way when the first close ran.
    await closeQuietly((this.lanes[1] as Lane).client);
  }
}
