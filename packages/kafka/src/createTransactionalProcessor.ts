/**
 * Exactly-once consume-transform-produce with Kafka transactions. Each batch of input records is
 * transformed, its outputs are produced and the input offsets are committed (TxnOffsetCommit) inside
 * one transaction: either all of it becomes visible to `read_committed` readers or none of it does.
 *
 * Recovery is crash-only: on any failure the processor aborts, drops its consumer and producer and
 * starts a new session from the committed offsets. A restart with the same `transactionalId` fences
 * the previous incarnation (even a SIGKILLed one) and aborts its open transaction. A failing
 * transform is retried in place (blocking its batch, as ordering inside a transaction demands) per
 * the input binding's retry policy, then dead-lettered to `<input>.dlq` inside the transaction.
 */
import {
  type Binding,
  createRetryPolicy,
  type DeliveredMessage,
  EventfoldError,
  InvalidInputError,
  type OutgoingMessage,
  requireGroup,
  toDeadLetterMessage,
} from '@eventfold/core';
import { Consumer, FetchIsolationLevels, type Message, type MessagesStream, ProduceAcks, Producer } from '@platformatic/kafka';
import type { KafkaTransport } from './createKafkaTransport.js';
import { closeQuietly, describeKafkaError } from './internal/kafkaErrors.js';
import { fromKafkaRecord, type KafkaRecord, toDelivered, toKafkaRecord } from './internal/recordCodec.js';
import { deadLetterTopicOf } from './internal/topicNames.js';

type Record = Message<Buffer, Buffer, Buffer, Buffer>;

export interface TransactionalBatchInfo {
  /** Transactions committed by this processor before this one. */
  readonly sequence: number;
  readonly inputs: number;
  readonly outputs: number;
}

export interface TransactionalProcessorOptions {
  /** Where inputs come from; its group owns the committed offsets. */
  input: Binding;
  /** Where outputs go. */
  output: Binding;
  /** Maps one input to zero or more outputs. Throwing aborts the batch (see the retry note above). */
  transform: (message: DeliveredMessage) => readonly OutgoingMessage[] | Promise<readonly OutgoingMessage[]>;
  /** Stable per processor instance (e.g. `billing-0`): a restart with the same id fences the old one. */
  transactionalId: string;
  /** Inputs per transaction. Default 100. */
  maxBatchSize?: number;
  /** Called inside the transaction, after outputs and offsets were added and before the commit. */
  beforeCommit?: (batch: TransactionalBatchInfo) => void | Promise<void>;
  /** Called after a commit. */
  afterCommit?: (batch: TransactionalBatchInfo) => void;
  /** Called when a session fails and is restarted (aborted batch, lost broker, rebalance). */
  onError?: (error: unknown) => void;
}

export interface TransactionalProcessor {
  readonly committedBatches: number;
  readonly committedInputs: number;
  /** Finishes the current batch, then leaves the group. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

class SessionRestart extends Error {}

/**
 * @example
 * const processor = await createTransactionalProcessor(transport, {
 *   input: bindings.paymentsIn, output: bindings.receiptsOut, transactionalId: 'receipts-0',
 *   transform: (m) => [receiptFor(m)],
 * });
 */
export async function createTransactionalProcessor(transport: KafkaTransport, options: TransactionalProcessorOptions): Promise<TransactionalProcessor> {
  const group = requireGroup(options.input);
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(options.transactionalId ?? '')) {
    throw new InvalidInputError(
      'transactionalId',
      `must be 1–200 characters of letters, digits, '.', '_' or '-' (got ${JSON.stringify(options.transactionalId)}).`,
    );
  }
  const maxBatchSize = options.maxBatchSize ?? 100;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new InvalidInputError('maxBatchSize', `must be a positive integer (got ${maxBatchSize}).`);
  await transport.provision(options.input);
  await transport.provision(options.output);
  const resolved = transport.options;
  const policy = createRetryPolicy(options.input.consumer?.retry, { random: resolved.random });
  const failures = new Map<string, number>();
  const stopSignal = new AbortController();
  let stopping = false;
  let committedBatches = 0;
  let committedInputs = 0;
  let sessions = 0;

  async function runSession(): Promise<void> {
    sessions += 1;
    const producer = new Producer({
      clientId: `${resolved.clientId}-tx-${options.transactionalId}`,
      bootstrapBrokers: resolved.brokers,
      transactionalId: options.transactionalId,
      idempotent: true,
      acks: ProduceAcks.ALL,
      producerId: -1n,
      producerEpoch: -1,
      timeout: resolved.producer.timeoutMs,
      retries: resolved.producer.retries,
      compression: resolved.producer.compression,
    });
    const consumer = new Consumer({
      clientId: `${resolved.clientId}-tx-${options.transactionalId}-${sessions}`,
      bootstrapBrokers: resolved.brokers,
      groupId: group,
      sessionTimeout: resolved.consumer.sessionTimeoutMs,
      heartbeatInterval: resolved.consumer.heartbeatIntervalMs,
      rebalanceTimeout: resolved.consumer.rebalanceTimeoutMs,
      maxWaitTime: resolved.consumer.maxWaitMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      highWaterMark: Math.max(resolved.consumer.maxRecordsPerPoll, maxBatchSize),
    });
    const buffer: Record[] = [];
    let failure: unknown;
    let joins = 0;
    let wake: (() => void) | undefined;
    const poke = () => {
      wake?.();
      wake = undefined;
    };
    stopSignal.signal.addEventListener('abort', poke);
    let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
    try {
      consumer.on('consumer:group:join', () => {
        joins += 1;
        // A rebalance after the first join: buffered records may belong to another member now.
        if (joins > 1) {
          failure ??= new SessionRestart('consumer group rebalanced');
          poke();
        }
      });
      stream = await consumer.consume({ topics: [options.input.destination], mode: 'committed', fallbackMode: options.input.kafka?.offsetReset ?? 'earliest' });
      stream.on('data', (record: Record) => {
        buffer.push(record);
        if (buffer.length >= 2 * maxBatchSize) stream?.pause();
        poke();
      });
      stream.on('error', (error: unknown) => {
        failure ??= error;
        poke();
      });
      while (!stopping) {
        if (failure !== undefined) throw failure;
        if (buffer.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        const batch = buffer.splice(0, maxBatchSize);
        if (stream.isPaused() && buffer.length < maxBatchSize) stream.resume();
        await processBatch(producer, consumer, batch);
      }
    } finally {
      stopSignal.signal.removeEventListener('abort', poke);
      await stream?.close().catch(() => {});
      await closeQuietly(consumer);
      await closeQuietly(producer);
    }
  }

  async function transformOne(record: Record, deadLetters: KafkaRecord[]): Promise<readonly OutgoingMessage[]> {
    const envelope = fromKafkaRecord(record);
    const where = `${record.topic}:${record.partition}:${record.offset}`;
    const attempt = (failures.get(where) ?? 0) + 1;
    const delivered = toDelivered(envelope.message, options.input.destination, attempt);
    try {
      return await options.transform(delivered);
    } catch (error) {
      failures.set(where, attempt);
      if (policy.shouldRetry(attempt, error)) {
        await resolved.sleep(policy.delayAfter(attempt), stopSignal.signal);
        throw new SessionRestart(`transform failed for ${where} (attempt ${attempt}): ${describeKafkaError(error)}`, { cause: error });
      }
      const { destination: _d, attempt: _a, ...message } = delivered;
      deadLetters.push(
        toKafkaRecord(
          deadLetterTopicOf(options.input.destination),
          toDeadLetterMessage(message, { error, attempts: attempt, origin: options.input.destination, group, at: resolved.clock.now() }),
        ),
      );
      return [];
    }
  }

  async function processBatch(producer: Producer, consumer: Consumer, batch: Record[]): Promise<void> {
    const tx = await producer.beginTransaction();
    try {
      await tx.addConsumer(consumer);
      const outputs: KafkaRecord[] = [];
      const deadLetters: KafkaRecord[] = [];
      const lastOfPartition = new Map<string, Record>();
      for (const record of batch) {
        for (const out of await transformOne(record, deadLetters)) outputs.push(toKafkaRecord(options.output.destination, out));
        lastOfPartition.set(`${record.topic}:${record.partition}`, record);
      }
      const messages = [...outputs, ...deadLetters];
      if (messages.length > 0) await tx.send({ messages });
      for (const record of lastOfPartition.values()) await tx.addOffset(record);
      const info = { sequence: committedBatches, inputs: batch.length, outputs: outputs.length };
      await options.beforeCommit?.(info);
      await tx.commit();
      committedBatches += 1;
      committedInputs += batch.length;
      for (const record of batch) failures.delete(`${record.topic}:${record.partition}:${record.offset}`);
      options.afterCommit?.(info);
    } catch (error) {
      if (!tx.completed) await tx.abort().catch(() => {});
      throw error;
    }
  }

  const done = (async () => {
    let backoff = 100;
    while (!stopping) {
      try {
        await runSession();
        backoff = 100;
      } catch (error) {
        if (stopping) break;
        options.onError?.(error);
        if (!(error instanceof SessionRestart)) {
          await resolved.sleep(backoff, stopSignal.signal);
          backoff = Math.min(5_000, backoff * 2);
        }
      }
    }
  })();

  return {
    get committedBatches() {
      return committedBatches;
    },
    get committedInputs() {
      return committedInputs;
    },
    async stop() {
      stopping = true;
      stopSignal.abort();
      await done;
    },
    done: done.catch((error: unknown) => {
      throw new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', `Transactional processor stopped: ${describeKafkaError(error)}`, { cause: error });
    }),
  };
}
