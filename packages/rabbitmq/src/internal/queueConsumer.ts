/**
 * One member of a consumer group: a channel with manual acks consuming the group's queue and its
 * retry queue (where delayed retries come back, so they never wait behind the main queue's backlog).
 * Each
 * delivery runs its handler through a KeyedScheduler (bounded concurrency, per-key order) and is
 * acked only afterwards (acks are coalesced per event-loop turn, see AckBatcher). A failed message is copied to the delay queue for its attempt (confirmed)
 * and then acked, so retries never block the queue; after the last attempt — or at once for a
 * permanent failure — it is copied to `<queue>.dlq` with the dead-letter headers, then acked.
 * After a reconnect the consumer re-subscribes on the new connection; deliveries of the old channel
 * are not acked (their tags died with it) and come again.
 */
import {
  type Clock,
  type ConsumeOptions,
  type Consumer,
  type DeliveredMessage,
  EventfoldError,
  MESSAGE_HEADERS,
  type MessageHandler,
  publishMessageDeadLettered,
  publishMessageRetry,
  type RetryPolicy,
  uuidv7,
} from '@eventfold/core';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { AckBatcher } from './ackBatcher.js';
import type { AmqpConnection } from './amqpConnection.js';
import { ATTEMPT_HEADER, DEAD_LETTER_ID_HEADER, decodeMessage, republishOptions } from './amqpMessage.js';
import type { BindingNames } from './bindingTopology.js';
import type { ConfirmPublisher } from './confirmPublisher.js';
import { KeyedScheduler } from './keyedScheduler.js';

export interface QueueConsumerOptions {
  names: BindingNames;
  destination: string;
  group: string;
  policy: RetryPolicy;
  concurrency: number;
  maxInFlight: number;
  handler: MessageHandler;
  hooks: ConsumeOptions;
  clock: Clock;
  onError: (error: unknown) => void;
}

const MAX_REASON = 1_000;

export class QueueConsumer implements Consumer {
  private channel: Channel | undefined;
  /** Pending acks of `channel`; replaced with it. */
  private acks: AckBatcher | undefined;
  /** Consumer tags on the current channel; empty while paused or disconnected. */
  private consumerTags: string[] = [];
  private readonly scheduler: KeyedScheduler;
  private inFlightCount = 0;
  private pausedByUser = false;
  private overloaded = false;
  private stopped = false;
  private resolveDone!: () => void;
  readonly done: Promise<void>;
  private readonly hook = (model: ChannelModel) => this.attach(model);
  /** Deliveries that arrived after `pause()` but before the broker processed our basic.cancel; run on resume. */
  private held: Array<{ channel: Channel; raw: ConsumeMessage }> = [];
  /** Serialises consume/cancel so pause/resume and reconnects never race. */
  private control: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly publisher: ConfirmPublisher,
    private readonly options: QueueConsumerOptions,
  ) {
    this.scheduler = new KeyedScheduler(options.concurrency);
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get paused(): boolean {
    return this.pausedByUser;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  async start(): Promise<void> {
    const before = await this.connection.ready();
    let failure: unknown;
    try {
      await this.connection.onConnect(this.hook);
    } catch (error) {
      failure = error;
    }
    // The connection dropped while subscribing: our hook stays registered and runs on the next one.
    for (let tries = 0; this.channel === undefined && this.connection.current() !== before && tries < 3; tries++) {
      await this.connection.ready();
    }
    if (this.channel === undefined) {
      await this.abandon();
      throw failure instanceof EventfoldError
        ? failure
        : new EventfoldError(
            'EVENTFOLD_TRANSPORT_UNAVAILABLE',
            `Could not subscribe to queue "${this.options.names.queue}": ${String((failure as Error)?.message)}`,
            {
              cause: failure,
              retryable: true,
            },
          );
    }
    this.options.hooks.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** A subscribe that failed leaves nothing behind: no hook, no channel. */
  private async abandon(): Promise<void> {
    this.stopped = true;
    this.connection.removeHook(this.hook);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => {});
    this.resolveDone();
  }

  private async attach(model: ChannelModel): Promise<void> {
    if (this.stopped) return;
    const channel = await model.createChannel();
    channel.on('error', (error: unknown) => this.options.onError(error));
    channel.on('close', () => {
      this.dropHeld(channel);
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.acks = undefined;
      this.consumerTags = [];
      // Channel error on a live connection (e.g. queue deleted and redeclared): open a new channel.
      if (!this.stopped && this.connection.current() === model) setTimeout(() => this.attach(model).catch((e) => this.options.onError(e)), 100);
    });
    this.channel = channel;
    this.acks = new AckBatcher(channel);
    if (!this.pausedByUser) await this.consume(channel);
  }

  /**
   * Queues to consume and the prefetch of each (basic.qos applies per consumer, to consumers started
   * after it). The main queue gets the full maxInFlight; the retry queue a quarter of it on top, so due
   * retries keep flowing while the main queue is saturated. In flight is therefore at most
   * maxInFlight + ⌈maxInFlight / 4⌉, and exactly maxInFlight while no retries are due.
   */
  private sources(): Array<{ queue: string; prefetch: number }> {
    const { names, maxInFlight, policy } = this.options;
    const main = { queue: names.queue, prefetch: maxInFlight };
    if (policy.maxAttempts <= 1) return [main];
    return [main, { queue: names.retryReady, prefetch: Math.ceil(maxInFlight / 4) }];
  }

  /**
   * Consumes the main queue, then — without holding up `subscribe` for two more round trips — the
   * retry queue, in the control chain so pause/resume/stop see it in order.
   */
  private async consume(channel: Channel): Promise<void> {
    const [main, ...rest] = this.sources();
    await this.consumeOne(channel, main as { queue: string; prefetch: number });
    if (rest.length === 0) return;
    this.control = this.control
      .then(async () => {
        for (const source of rest) {
          if (this.stopped || this.pausedByUser || this.channel !== channel || this.consumerTags.length === 0) return;
          await this.consumeOne(channel, source);
        }
      })
      .catch((e) => this.options.onError(e));
  }

  private async consumeOne(channel: Channel, { queue, prefetch }: { queue: string; prefetch: number }): Promise<void> {
    await channel.prefetch(prefetch);
    const reply = await channel.consume(queue, (raw) => this.onDelivery(channel, raw), { noAck: false });
    this.consumerTags.push(reply.consumerTag);
  }

  private onDelivery(channel: Channel, raw: ConsumeMessage | null): void {
    if (raw === null) {
      // The broker cancelled us (queue deleted): re-subscribe on a fresh channel if the queue comes back.
      this.consumerTags = [];
      if (this.channel === channel) this.acks?.flush();
      channel.close().catch(() => {});
      return;
    }
    // Stopping: not handed to the handler, not acked; the broker requeues it when the channel closes.
    if (this.stopped) return;
    if (this.channel === channel) this.acks?.track(raw);
    this.inFlightCount += 1;
    if (this.pausedByUser) {
      this.held.push({ channel, raw });
      return;
    }
    this.dispatch(channel, raw);
  }

  private dispatch(channel: Channel, raw: ConsumeMessage): void {
    if (!this.overloaded && this.inFlightCount >= this.options.maxInFlight) {
      this.overloaded = true;
      this.options.hooks.onPause?.();
    }
    let message: DeliveredMessage | undefined;
    let decodeError: unknown;
    try {
      message = decodeMessage(raw, this.options.destination);
    } catch (error) {
      decodeError = error;
    }
    const key = message?.key ?? `\u0000unreadable:${raw.fields.deliveryTag}`;
    this.scheduler.submit(key, () => this.handle(channel, raw, message, decodeError));
  }

  /**
   * Runs the handler and settles the delivery. Returns undefined when all of that happened
   * synchronously (a synchronous handler that succeeded), so the common case allocates no promise.
   */
  private handle(channel: Channel, raw: ConsumeMessage, message: DeliveredMessage | undefined, decodeError: unknown): Promise<void> | undefined {
    if (message === undefined) return this.settleFailure(channel, raw, decodeError, 1, false);
    let result: unknown;
    try {
      result = this.options.handler(message);
    } catch (error) {
      return this.settleFailure(channel, raw, error, message.attempt, true);
    }
    if (typeof (result as PromiseLike<void> | undefined)?.then !== 'function') {
      this.ack(channel, raw);
      this.release();
      return undefined;
    }
    return Promise.resolve(result).then(
      () => {
        this.ack(channel, raw);
        this.release();
      },
      (error: unknown) => this.settleFailure(channel, raw, error, message.attempt, true),
    );
  }

  /**
   * Moves a failed delivery to its retry queue (when `mayRetry` and the policy agrees) or its
   * dead-letter queue, then acks it; requeues it if that fails.
   */
  private async settleFailure(channel: Channel, raw: ConsumeMessage, error: unknown, attempt: number, mayRetry: boolean): Promise<void> {
    try {
      await this.fail(channel, raw, error, attempt, mayRetry && this.options.policy.shouldRetry(attempt, error));
    } catch (moveError) {
      // Could not move the message to its retry/dead-letter queue: leave it to the broker to redeliver.
      this.options.onError(moveError);
      if (this.channel === channel) {
        try {
          this.acks?.nack(raw, true);
        } catch {}
      }
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.inFlightCount -= 1;
    if (this.overloaded && this.inFlightCount <= this.options.maxInFlight / 2) {
      this.overloaded = false;
      this.options.hooks.onResume?.();
    }
  }

  /** Held deliveries of a closed channel are requeued by the broker; forget them. */
  private dropHeld(channel: Channel): void {
    const before = this.held.length;
    this.held = this.held.filter((h) => h.channel !== channel);
    this.inFlightCount -= before - this.held.length;
  }

  private ack(channel: Channel, raw: ConsumeMessage): void {
    // A delivery tag belongs to its channel; after a reconnect the broker redelivers instead.
    if (this.channel !== channel) return;
    this.acks?.ack(raw);
  }

  private async fail(channel: Channel, raw: ConsumeMessage, error: unknown, attempt: number, retry: boolean): Promise<void> {
    const { names, policy, clock } = this.options;
    if (retry) {
      const delay = policy.delayAfter(attempt);
      await this.publisher.publish('', names.retryQueue(attempt), raw.content, {
        ...republishOptions(raw, { [ATTEMPT_HEADER]: String(attempt + 1) }),
        expiration: String(delay),
      });
      publishMessageRetry({
        destination: this.options.destination,
        group: this.options.group,
        messageId: String(raw.properties.messageId ?? ''),
        attempt,
        delayMs: delay,
        error,
      });
    } else {
      const code = error instanceof EventfoldError ? error.code : undefined;
      const text = error instanceof Error ? error.message : String(error);
      const reason = text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
      await this.publisher.publish(
        '',
        names.dlq,
        raw.content,
        republishOptions(raw, {
          [ATTEMPT_HEADER]: undefined,
          [DEAD_LETTER_ID_HEADER]: uuidv7(),
          [MESSAGE_HEADERS.deadLetterReason]: reason,
          [MESSAGE_HEADERS.deadLetterErrorCode]: code,
          [MESSAGE_HEADERS.deadLetterAttempts]: String(attempt),
          [MESSAGE_HEADERS.deadLetterOrigin]: this.options.destination,
          [MESSAGE_HEADERS.deadLetterGroup]: this.options.group,
          [MESSAGE_HEADERS.deadLetterAt]: clock.now().toISOString(),
        }),
      );
      publishMessageDeadLettered({
        destination: this.options.destination,
        group: this.options.group,
        messageId: String(raw.properties.messageId ?? ''),
        type: String(raw.properties.type ?? ''),
        attempts: attempt,
        reason,
      });
    }
    this.ack(channel, raw);
  }

  pause(): void {
    if (this.pausedByUser || this.stopped) return;
    this.pausedByUser = true;
    this.control = this.control.then(() => this.cancel()).catch((e) => this.options.onError(e));
  }

  resume(): void {
    if (!this.pausedByUser || this.stopped) return;
    this.pausedByUser = false;
    for (const { channel, raw } of this.held.splice(0)) {
      // Held deliveries of a channel that died meanwhile come again from the broker.
      if (channel === this.channel) this.dispatch(channel, raw);
      else this.inFlightCount -= 1;
    }
    this.control = this.control
      .then(async () => {
        if (this.channel !== undefined && this.consumerTags.length === 0 && !this.pausedByUser) await this.consume(this.channel);
      })
      .catch((e) => this.options.onError(e));
  }

  private async cancel(): Promise<void> {
    const channel = this.channel;
    const tags = this.consumerTags;
    this.consumerTags = [];
    if (channel === undefined) return;
    for (const tag of tags) await channel.cancel(tag).catch(() => {});
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.done;
    this.stopped = true;
    this.connection.removeHook(this.hook);
    await this.control.catch(() => {});
    await this.cancel();
    await this.scheduler.idle();
    const channel = this.channel;
    this.acks?.flush();
    this.channel = undefined;
    this.acks = undefined;
    if (channel !== undefined) this.dropHeld(channel);
    await channel?.close().catch(() => {});
    this.resolveDone();
    return this.done;
  }
}
