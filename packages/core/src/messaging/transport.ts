/**
 * The Transport interface every binder implements (memory, Kafka, RabbitMQ). The transport
 * conformance suite in `@eventfold/core/testing` defines what each method must do; a binder is done
 * when it passes. Delivery is at-least-once everywhere: effects become exactly-once through the
 * consumer's inbox (dedupe on message id in the same transaction as the effect).
 */
import type { Binding } from './bindings.js';
import type { DeadLetterQueue } from './deadLetter.js';
import type { MessageHandler, OutgoingMessage } from './message.js';

/** Per-subscription hooks; the static settings (group, concurrency, retry) live on the binding. */
export interface ConsumeOptions {
  /** Called when the consumer stops fetching because `maxInFlight` messages are unfinished. */
  onPause?: () => void;
  /** Called when it fetches again after in-flight work drained below half of `maxInFlight`. */
  onResume?: () => void;
  /** Aborting stops the consumer, like `Consumer.stop()`. */
  signal?: AbortSignal;
}

/** A running subscription of one consumer-group member. */
export interface Consumer {
  /** Stop fetching new messages; in-flight handlers finish and are acknowledged. Idempotent. */
  pause(): void;
  /** Fetch again after `pause()`. */
  resume(): void;
  readonly paused: boolean;
  /** Messages delivered to handlers and not yet acknowledged or dead-lettered. */
  readonly inFlight: number;
  /**
   * Stops fetching, waits for in-flight handlers, acknowledges what succeeded and leaves the group.
   * Unacknowledged messages are redelivered to the group's other members or the next subscriber.
   */
  stop(): Promise<void>;
  /** Resolves when stopped; rejects if the consumer failed for good (e.g. the broker is gone after recovery gave up). */
  readonly done: Promise<void>;
}

export interface Transport {
  /** The binder name bindings use to select this transport: 'memory', 'kafka', 'rabbitmq'. */
  readonly binder: string;

  /**
   * Creates what the binding needs, idempotently: the destination (topic / exchange), and for a
   * binding with a group its durable subscription (RabbitMQ queue + bindings, DLQ, retry queues;
   * Kafka retry and DLQ topics). After `provision` resolves, messages published to the destination
   * are kept for the group even before it subscribes (a new group starts from the earliest message).
   */
  provision(binding: Binding): Promise<void>;

  /**
   * Publishes messages to the binding's destination. Resolves only when the broker has durably
   * accepted every one (Kafka acks=all with the idempotent producer; RabbitMQ publisher confirms);
   * rejects with an EventfoldError (`retryable: true` when publishing again may succeed) otherwise,
   * in which case any subset may have been accepted — publish again: consumers dedupe on id.
   * Messages with the same key are delivered in the order given.
   */
  publish(binding: Binding, messages: readonly OutgoingMessage[]): Promise<void>;

  /**
   * Joins the binding's group and delivers its messages to `handler`. Competing consumers of one
   * group share the messages; each message is acknowledged only after the handler resolved. When
   * the handler throws, the transport retries per `binding.consumer.retry` and then dead-letters
   * (at once for an error with `retryable: false`). Up to `binding.consumer.concurrency` handlers
   * run at once, but never two with the same key, and same-key messages run in publish order.
   * Resolves once the consumer is attached and receiving.
   */
  subscribe(binding: Binding, handler: MessageHandler, options?: ConsumeOptions): Promise<Consumer>;

  /** Dead letters of consumer bindings: list, inspect, replay, purge. */
  readonly deadLetters: DeadLetterQueue;

  /** Stops all consumers, flushes pending publishes and closes connections. */
  close(): Promise<void>;
}
