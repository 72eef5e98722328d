/**
 * The RabbitMQ binder. One connection (client-provided name, automatic recovery) carries a confirm
 * channel for publishing and one channel per consumer. Everything the bindings need is declared on
 * `provision` and redeclared after every reconnect, before publishing resumes and consumers re-subscribe.
 */
import {
  assertOutgoingMessage,
  type Binding,
  type Clock,
  type ConsumeOptions,
  type Consumer,
  createRetryPolicy,
  type DeadLetterQueue,
  EventfoldError,
  InvalidInputError,
  type MessageHandler,
  type OutgoingMessage,
  requireGroup,
  systemClock,
  type Transport,
} from '@eventfold/core';
import type { ChannelModel } from 'amqplib';
import { createRabbitMqDeadLetters } from './createRabbitMqDeadLetters.js';
import { assertTopologySpec, declareTopology, mergeTopology, type TopologySpec } from './declareTopology.js';
import { type AmqpConnection, openAmqpConnection, type ReconnectOptions } from './internal/amqpConnection.js';
import { encodeMessage } from './internal/amqpMessage.js';
import { consumerTopology, exchangeTopology, namesOf, routingKeyOf } from './internal/bindingTopology.js';
import { ConfirmPublisher, type PublishItem } from './internal/confirmPublisher.js';
import { QueueConsumer } from './internal/queueConsumer.js';
import { parseAmqpUrl } from './parseAmqpUrl.js';

export interface RabbitMqTransportOptions {
  /** `amqp://user:password@host:5672/vhost`; the path is the virtual host. */
  url: string;
  /** Client-provided connection name (visible in the management UI and `rabbitmqctl`). Default `eventfold-<pid>`. */
  connectionName?: string;
  reconnect?: ReconnectOptions;
  /** Heartbeat in seconds. Default 10. */
  heartbeatSeconds?: number;
  /** Unconfirmed publishes allowed at once before `publish` waits. Default 10,000. */
  maxUnconfirmed?: number;
  /**
   * Default true: a message no queue is bound for (basic.return) rejects the publish with
   * EVENTFOLD_PUBLISH_REJECTED, because RabbitMQ confirms and then drops it. Set false to let
   * unroutable messages go (e.g. a relay that starts before any consumer group is provisioned).
   */
  rejectUnroutable?: boolean;
  /** A publish not confirmed within this many ms rejects with a retryable EVENTFOLD_TIMEOUT. Default 60,000. */
  confirmTimeoutMs?: number;
  /** Extra topology (exchanges, queues, bindings) declared at start and after every reconnect. */
  topology?: TopologySpec;
  clock?: Clock;
  /** Uniform [0, 1) source for retry jitter. Default Math.random. */
  random?: () => number;
  /** Errors that have no caller to reject (failed redeclare after a reconnect, channel errors). Default: ignored. */
  onError?: (error: unknown) => void;
}

export interface RabbitMqTransportStats {
  /** Connections made so far; 1 + reconnects. */
  readonly connections: number;
  /** Times the full topology was (re)declared. */
  readonly topologyDeclarations: number;
  /** Messages sent and not yet confirmed. */
  readonly unconfirmed: number;
  /** Messages published again after a reconnect because their confirm never came. */
  readonly republished: number;
}

export interface RabbitMqTransport extends Transport {
  readonly binder: 'rabbitmq';
  readonly connectionName: string;
  readonly vhost: string;
  /** Declares more topology now and after every reconnect. */
  declare(spec: TopologySpec): Promise<void>;
  /** Deletes the queues (group queue, retry queues, DLQ) and the exchange of a binding. For tests and teardown. */
  deprovision(binding: Binding): Promise<void>;
  stats(): RabbitMqTransportStats;
}

/** AMQP carries these fields as short strings. A UTF-16 unit is at most 3 UTF-8 bytes: most need no byte count. */
function assertShortString(value: string, index: number, field: 'id' | 'type' | 'contentType'): void {
  if (value.length > 85 && Buffer.byteLength(value) > 255) {
    throw new InvalidInputError(`messages[${index}].${field}`, 'must be at most 255 bytes in UTF-8: AMQP carries it as a short string.');
  }
}

function assertBinder(binding: Binding): void {
  if (binding.binder !== 'rabbitmq') {
    throw new InvalidInputError(
      `bindings.${binding.name}.binder`,
      `is "${binding.binder}", but this is the RabbitMQ transport; route the binding to the '${binding.binder}' transport.`,
    );
  }
}

/**
 * @example
 * const transport = await createRabbitMqTransport({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await transport.provision(bindings.ordersIn);
 * await transport.publish(bindings.ordersOut, [message]);
 * const consumer = await transport.subscribe(bindings.ordersIn, async (m) => { … });
 */
export async function createRabbitMqTransport(options: RabbitMqTransportOptions): Promise<RabbitMqTransport> {
  const url = parseAmqpUrl(options.url);
  const clock = options.clock ?? systemClock;
  const rejectUnroutable = options.rejectUnroutable ?? true;
  const onError = options.onError ?? (() => {});
  // Keyed by content: provisioning the same binding again (every subscribe does) adds nothing.
  const specs = new Map<string, TopologySpec>();
  if (options.topology !== undefined) {
    assertTopologySpec(options.topology);
    specs.set(JSON.stringify(options.topology), options.topology);
  }
  const declaredExchanges = new Set<string>();
  let topologyDeclarations = 0;

  async function declareOn(model: ChannelModel, spec: TopologySpec): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await declareTopology(channel, spec);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  const connection: AmqpConnection = await openAmqpConnection({
    url: options.url,
    connectionName: options.connectionName ?? `eventfold-${process.pid}`,
    onError,
    ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    ...(options.heartbeatSeconds !== undefined ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
  });
  // Registered first, so topology exists again before the publisher republishes and consumers re-subscribe.
  await connection.onConnect(async (model) => {
    if (specs.size > 0) await declareOn(model, mergeTopology([...specs.values()]));
    topologyDeclarations += 1;
  });
  const publisher = new ConfirmPublisher(connection, {
    ...(options.maxUnconfirmed !== undefined ? { maxUnconfirmed: options.maxUnconfirmed } : {}),
    ...(options.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: options.confirmTimeoutMs } : {}),
  });
  await publisher.start();
  const consumers = new Set<QueueConsumer>();
  let closed = false;

  async function declare(spec: TopologySpec): Promise<void> {
    assertTopologySpec(spec);
    await connection.withModel((model) => declareOn(model, spec));
    specs.set(JSON.stringify(spec), spec);
  }

  function checkOpen(): void {
    if (closed) throw new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport is closed; create a new one.');
  }

  async function provision(binding: Binding): Promise<void> {
    checkOpen();
    assertBinder(binding);
    const policy = createRetryPolicy(binding.consumer?.retry);
    await declare(binding.group === undefined ? exchangeTopology(binding) : consumerTopology(binding, policy.maxAttempts));
    declaredExchanges.add(binding.destination);
  }

  async function publish(binding: Binding, messages: readonly OutgoingMessage[]): Promise<void> {
    checkOpen();
    assertBinder(binding);
    if (!declaredExchanges.has(binding.destination)) {
      await declare(exchangeTopology(binding));
      declaredExchanges.add(binding.destination);
    }
    // The whole batch is checked before anything is sent: a bad message never leaves a batch half-published.
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutgoingMessage;
      assertOutgoingMessage(message, `messages[${i}]`);
      assertShortString(message.id, i, 'id');
      assertShortString(message.type, i, 'type');
      assertShortString(message.contentType, i, 'contentType');
    }
    const now = clock.now().getTime();
    const items: PublishItem[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutgoingMessage;
      const { content, options: publishOptions } = encodeMessage(message, now, rejectUnroutable);
      items[i] = { exchange: binding.destination, routingKey: routingKeyOf(binding, message), content, options: publishOptions };
    }
    // Resolves when every message is confirmed; rejects with the first failure once all settled.
    await publisher.publishAll(items);
  }

  async function subscribe(binding: Binding, handler: MessageHandler, consumeOptions: ConsumeOptions = {}): Promise<Consumer> {
    checkOpen();
    assertBinder(binding);
    const group = requireGroup(binding);
    const policy = createRetryPolicy(binding.consumer?.retry, options.random !== undefined ? { random: options.random } : {});
    // Declared already by this transport (and after every reconnect since)? Then subscribing needs no round trips.
    const spec = consumerTopology(binding, policy.maxAttempts);
    if (!specs.has(JSON.stringify(spec))) await provision(binding);
    const concurrency = binding.consumer?.concurrency ?? 1;
    const consumer = new QueueConsumer(connection, publisher, {
      names: namesOf(binding),
      destination: binding.destination,
      group,
      policy,
      concurrency,
      maxInFlight: binding.consumer?.maxInFlight ?? 4 * concurrency,
      handler,
      hooks: consumeOptions,
      clock,
      onError,
    });
    await consumer.start();
    consumers.add(consumer);
    consumer.done.finally(() => consumers.delete(consumer));
    return consumer;
  }

  async function deprovision(binding: Binding): Promise<void> {
    await connection.withModel((model) => deleteBindingTopology(model, binding));
  }

  async function deleteBindingTopology(model: ChannelModel, binding: Binding): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      if (binding.group !== undefined) {
        const names = namesOf(binding);
        const maxAttempts = createRetryPolicy(binding.consumer?.retry).maxAttempts;
        for (let attempt = 1; attempt < maxAttempts; attempt++) await channel.deleteQueue(names.retryQueue(attempt));
        if (maxAttempts > 1) await channel.deleteQueue(names.retryReady);
        await channel.deleteQueue(names.dlq);
        await channel.deleteQueue(names.queue);
      }
      await channel.deleteExchange(binding.destination);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  const deadLetters: DeadLetterQueue = createRabbitMqDeadLetters(connection, publisher);

  return {
    binder: 'rabbitmq',
    connectionName: connection.connectionName,
    vhost: url.vhost,
    provision,
    publish,
    subscribe,
    deadLetters,
    declare,
    deprovision,
    stats: () => ({ connections: connection.generation, topologyDeclarations, unconfirmed: publisher.unconfirmed, republished: publisher.republished }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      await publisher.close();
      await connection.close();
    },
  };
}
