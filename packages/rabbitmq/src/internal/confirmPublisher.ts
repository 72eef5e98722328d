/**
 * Publishing with publisher confirms that survives a lost connection. A message stays in `pending`
 * until the broker acks it; when the connection drops before the ack, it is published again on the
 * next connection, in the original order, before anything newer. That can duplicate a message the
 * broker had stored but not yet confirmed — consumers dedupe on the message id — and never loses one.
 * A nack, an unroutable message (mandatory + basic.return) or a channel error rejects with a typed error.
 */
import { EventfoldError } from '@eventfold/core';
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { AmqpConnection } from './amqpConnection.js';

/** One message to publish. */
export interface PublishItem {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

/** The messages of one `publishAll` call: settles once every one of them is confirmed or failed. */
interface Batch {
  remaining: number;
  /** The failure of the lowest-index message that failed, reported once all settled. */
  error: unknown;
  errorIndex: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Pending extends PublishItem {
  readonly batch: Batch;
  /** Position in its batch. */
  readonly index: number;
  /** performance.now() when publish was called, for the confirm timeout. */
  readonly since: number;
  /** Channel it was last sent on; undefined while waiting for one. */
  sentOn: ConfirmChannel | undefined;
  returned: boolean;
}

export interface ConfirmPublisherOptions {
  /** Unconfirmed messages allowed at once; `publish` waits beyond that (backpressure). Default 10,000. */
  maxUnconfirmed?: number;
  /**
   * A publish not confirmed within this many ms (e.g. the broker is unreachable for that long) rejects
   * with a retryable EVENTFOLD_TIMEOUT; it may still have been stored — publish again, consumers dedupe.
   * Default 60,000.
   */
  confirmTimeoutMs?: number;
}

export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  /** Sent or waiting to be sent, in publish order. */
  private readonly pending = new Set<Pending>();
  private readonly capacityWaiters: Array<() => void> = [];
  private readonly maxUnconfirmed: number;
  private readonly confirmTimeoutMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** Messages sent again on a new connection because the old one closed before their confirm. */
  republished = 0;
  private readonly hook = (model: ChannelModel) => this.attach(model);

  constructor(
    private readonly connection: AmqpConnection,
    options: ConfirmPublisherOptions = {},
  ) {
    this.maxUnconfirmed = options.maxUnconfirmed ?? 10_000;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 60_000;
  }

  /** One timer for all messages: pending is in publish order, so the oldest are first. */
  private sweep(): void {
    const limit = performance.now() - this.confirmTimeoutMs;
    for (const entry of this.pending) {
      if (entry.since > limit) break;
      this.settle(
        entry,
        new EventfoldError(
          'EVENTFOLD_TIMEOUT',
          `RabbitMQ did not confirm message ${entry.options.messageId ?? ''} within ${this.confirmTimeoutMs} ms (connection down or broker overloaded); publish it again — consumers dedupe on the id.`,
          { retryable: true, context: { exchange: entry.exchange, timeoutMs: this.confirmTimeoutMs } },
        ),
      );
    }
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  async start(): Promise<void> {
    await this.connection.onConnect(this.hook);
  }

  get unconfirmed(): number {
    return this.pending.size;
  }

  /** Resolves once the broker confirmed the message. `mandatory` defaults to true: unroutable is an error. */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    return this.publishAll([{ exchange, routingKey, content, options }]);
  }

  /**
   * Publishes the messages in order and resolves once the broker confirmed all of them; if any failed,
   * rejects (after all settled, so none is left unobserved) with the failure of the first one that did.
   * One promise per call, not per message: this is the relay's hot path.
   */
  publishAll(items: readonly PublishItem[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = { remaining: items.length, error: undefined, errorIndex: items.length, resolve, reject };
      if (this.pending.size + items.length <= this.maxUnconfirmed) {
        const since = performance.now();
        for (let i = 0; i < items.length; i++) this.enqueue(items[i] as PublishItem, batch, i, since);
      } else {
        this.enqueueWhenRoom(items, batch).catch(reject);
      }
    });
  }

  /** Backpressure: each message waits until fewer than maxUnconfirmed are unconfirmed. */
  private async enqueueWhenRoom(items: readonly PublishItem[], batch: Batch): Promise<void> {
    for (let i = 0; i < items.length; i++) {
      while (this.pending.size >= this.maxUnconfirmed && !this.closed) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
      if (this.closed) {
        const error = new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport closed while this publish waited; create a new one.', {
          retryable: true,
        });
        // The messages not enqueued yet settle here; those already sent are settled by close().
        for (let j = i; j < items.length; j++) this.settleBatch(batch, j, error);
        return;
      }
      this.enqueue(items[i] as PublishItem, batch, i, performance.now());
    }
  }

  private enqueue(item: PublishItem, batch: Batch, index: number, since: number): void {
    const entry: Pending = {
      exchange: item.exchange,
      routingKey: item.routingKey,
      content: item.content,
      options: item.options.mandatory !== undefined ? item.options : { ...item.options, mandatory: true },
      batch,
      index,
      since,
      sentOn: undefined,
      returned: false,
    };
    this.pending.add(entry);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, this.confirmTimeoutMs));
      this.sweeper.unref();
    }
    if (this.channel !== undefined) this.send(this.channel, entry);
  }

  private settle(entry: Pending, error?: unknown): void {
    if (!this.pending.delete(entry)) return;
    const waiter = this.capacityWaiters.shift();
    if (waiter !== undefined) waiter();
    this.settleBatch(entry.batch, entry.index, error);
  }

  private settleBatch(batch: Batch, index: number, error: unknown): void {
    if (error !== undefined && index < batch.errorIndex) {
      batch.error = error;
      batch.errorIndex = index;
    }
    batch.remaining -= 1;
    if (batch.remaining > 0) return;
    if (batch.error === undefined) batch.resolve();
    else batch.reject(batch.error);
  }

  private send(channel: ConfirmChannel, entry: Pending): void {
    entry.sentOn = channel;
    entry.returned = false;
    try {
      channel.publish(entry.exchange, entry.routingKey, entry.content, entry.options, (error: unknown) => {
        if (entry.sentOn !== channel) return;
        if (error === null || error === undefined) {
          if (entry.returned) {
            this.settle(
              entry,
              new EventfoldError(
                'EVENTFOLD_PUBLISH_REJECTED',
                `RabbitMQ could not route message ${entry.options.messageId ?? ''} from exchange "${entry.exchange}" with routing key "${entry.routingKey}" to any queue. Provision the consumer bindings first, or check the routing key.`,
                { retryable: true, context: { exchange: entry.exchange, routingKey: entry.routingKey } },
              ),
            );
          } else this.settle(entry);
        } else if ((error as Error).message === 'message nacked') {
          this.settle(
            entry,
            new EventfoldError(
              'EVENTFOLD_PUBLISH_REJECTED',
              `RabbitMQ nacked message ${entry.options.messageId ?? ''} on exchange "${entry.exchange}"; publish it again.`,
              {
                retryable: true,
                context: { exchange: entry.exchange, routingKey: entry.routingKey },
              },
            ),
          );
        }
        // 'channel closed': kept pending; `onChannelClose` decides between republish and reject.
      });
    } catch (error) {
      this.settle(
        entry,
        error instanceof RangeError
          ? new EventfoldError(
              'EVENTFOLD_INVALID_INPUT',
              `Message ${entry.options.messageId ?? ''} cannot be encoded: ${error.message}. Make its headers smaller.`,
              {
                cause: error,
              },
            )
          : new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', `Publishing failed: ${(error as Error).message}`, { cause: error, retryable: true }),
      );
    }
  }

  private async attach(model: ChannelModel): Promise<void> {
    if (this.closed) return;
    const channel = await model.createConfirmChannel();
    let channelError: unknown;
    channel.on('error', (error: unknown) => {
      channelError = error;
    });
    channel.on('return', (message: Message) => {
      // RabbitMQ sends basic.return before the confirm of the same message, and in publish order, so
      // the first unreturned entry with this id sent on this channel is the one (returns are rare:
      // a linear scan keeps the publish path free of an id index).
      const id = message.properties.messageId as string | undefined;
      if (id === undefined) return;
      for (const entry of this.pending) {
        if (entry.sentOn === channel && !entry.returned && entry.options.messageId === id) {
          entry.returned = true;
          return;
        }
      }
    });
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
      this.onChannelClose(channel, model, channelError);
    });
    this.channel = channel;
    // Republish what the previous connection left unconfirmed, oldest first, then new messages follow.
    for (const entry of [...this.pending]) {
      if (entry.sentOn === channel) continue;
      if (entry.sentOn !== undefined) this.republished += 1;
      this.send(channel, entry);
    }
  }

  private onChannelClose(channel: ConfirmChannel, model: ChannelModel, channelError: unknown): void {
    if (channelError === undefined || this.closed) return; // connection lost: the next connect republishes
    // A channel error (e.g. 404: exchange deleted) is caused by what was sent: fail those, keep the rest going.
    for (const entry of [...this.pending]) {
      if (entry.sentOn !== channel) continue;
      this.settle(
        entry,
        new EventfoldError(
          'EVENTFOLD_PUBLISH_REJECTED',
          `RabbitMQ closed the publishing channel: ${(channelError as Error).message}. Provision the binding, then publish again.`,
          {
            cause: channelError,
            retryable: true,
            context: { exchange: entry.exchange },
          },
        ),
      );
    }
    if (this.connection.current() === model) this.attach(model).catch(() => {});
  }

  /** Waits for pending confirms (bounded), then closes the channel. */
  async close(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.connection.removeHook(this.hook);
    for (const entry of [...this.pending]) {
      this.settle(
        entry,
        new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The transport closed before the broker confirmed this message; publish it again.', {
          retryable: true,
        }),
      );
    }
    for (const waiter of this.capacityWaiters.splice(0)) waiter();
    await this.channel?.close().catch(() => {});
    this.channel = undefined;
  }
}

function closedError(): EventfoldError {
  return new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport is closed; create a new one to publish.');
}
