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

interface Pending {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
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
  private readonly pending = new Set<Pending>();
  private readonly byMessageId = new Map<string, Pending[]>();
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
  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.closed) throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport is closed; create a new one to publish.');
    while (this.pending.size >= this.maxUnconfirmed && !this.closed) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    if (this.closed)
      throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport closed while this publish waited; create a new one.', { retryable: true });
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        exchange,
        routingKey,
        content,
        options: options.mandatory !== undefined ? options : { ...options, mandatory: true },
        resolve,
        reject,
        since: performance.now(),
        sentOn: undefined,
        returned: false,
      };
      this.pending.add(entry);
      if (this.sweeper === undefined) {
        this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, this.confirmTimeoutMs));
        this.sweeper.unref();
      }
      if (options.messageId !== undefined) {
        const list = this.byMessageId.get(options.messageId);
        if (list === undefined) this.byMessageId.set(options.messageId, [entry]);
        else list.push(entry);
      }
      if (this.channel !== undefined) this.send(this.channel, entry);
    });
  }

  private settle(entry: Pending, error?: unknown): void {
    if (!this.pending.delete(entry)) return;
    const id = entry.options.messageId;
    if (id !== undefined) {
      const list = this.byMessageId.get(id);
      if (list !== undefined) {
        const i = list.indexOf(entry);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.byMessageId.delete(id);
      }
    }
    const waiter = this.capacityWaiters.shift();
    if (waiter !== undefined) waiter();
    if (error === undefined) entry.resolve();
    else entry.reject(error);
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
      const id = message.properties.messageId as string | undefined;
      const entry = id === undefined ? undefined : this.byMessageId.get(id)?.find((e) => e.sentOn === channel && !e.returned);
      if (entry !== undefined) entry.returned = true;
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
