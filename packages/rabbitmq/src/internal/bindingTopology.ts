/**
 * What a binding means on RabbitMQ. The destination is an exchange; a group is a durable queue
 * `<destination>.<group>` bound to it. Retries go through TTL delay queues `<queue>.retry.<n>` whose
 * dead-letter exchange (the default exchange, routing key = the queue) puts the message back when its
 * per-message TTL expires; final failures go to `<queue>.dlq`, which is also the queue's DLX target
 * for anything the broker dead-letters by itself (rejections, delivery limits).
 */
import { type Binding, InvalidInputError, requireGroup } from '@eventfold/core';
import type { ExchangeType, QueueSpec, TopologySpec } from '../declareTopology.js';

export interface BindingNames {
  readonly exchange: string;
  readonly exchangeType: ExchangeType;
  readonly queue: string;
  readonly dlq: string;
  /** Where delayed retries land when their TTL expires; consumed beside the main queue. */
  readonly retryReady: string;
  /** TTL delay queue of one attempt. */
  retryQueue(attempt: number): string;
}

export function exchangeTypeOf(binding: Binding): ExchangeType {
  return binding.rabbitmq?.exchangeType ?? 'topic';
}

export function queueNameOf(binding: Binding): string {
  return `${binding.destination}.${requireGroup(binding)}`;
}

export function namesOf(binding: Binding): BindingNames {
  const queue = queueNameOf(binding);
  return {
    exchange: binding.destination,
    exchangeType: exchangeTypeOf(binding),
    queue,
    dlq: `${queue}.dlq`,
    retryReady: `${queue}.retry`,
    retryQueue: (attempt) => `${queue}.retry.${attempt}`,
  };
}

/** The publishing side: just the exchange. */
export function exchangeTopology(binding: Binding): TopologySpec {
  if (binding.destination.startsWith('amq.')) {
    throw new InvalidInputError(
      `bindings.${binding.name}.destination`,
      `"${binding.destination}" is reserved by RabbitMQ (amq.*); choose another exchange name.`,
    );
  }
  return { exchanges: [{ name: binding.destination, type: exchangeTypeOf(binding) }], queues: [], bindings: [] };
}

function defaultBindingKeys(binding: Binding, type: ExchangeType): string[] {
  if (type === 'topic') return ['#'];
  if (type === 'direct') return [requireGroup(binding)];
  return [''];
}

/** Exchange, group queue, its bindings, retry queues for `maxAttempts` and the DLQ. */
export function consumerTopology(binding: Binding, maxAttempts: number): TopologySpec {
  const names = namesOf(binding);
  const r = binding.rabbitmq ?? {};
  const queueType = r.queueType ?? 'quorum';
  if (r.maxPriority !== undefined && queueType !== 'classic') {
    throw new InvalidInputError(`bindings.${binding.name}.rabbitmq.maxPriority`, "needs queueType 'classic': RabbitMQ 3.10 quorum queues have no priorities.");
  }
  const type = names.exchangeType;
  if (type === 'headers' && r.bindingArguments === undefined) {
    throw new InvalidInputError(
      `bindings.${binding.name}.rabbitmq.bindingArguments`,
      "is required for a headers exchange, e.g. { 'x-match': 'all', region: 'eu' }.",
    );
  }
  const queueArgs: Record<string, unknown> = {
    'x-queue-type': queueType,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': names.dlq,
  };
  if (r.maxPriority !== undefined) queueArgs['x-max-priority'] = r.maxPriority;
  if (r.singleActiveConsumer === true) queueArgs['x-single-active-consumer'] = true;
  const queues: QueueSpec[] = [
    { name: names.queue, arguments: queueArgs },
    { name: names.dlq, arguments: { 'x-queue-type': queueType } },
  ];
  // Delay queues are classic: a per-message TTL expires only at the head of a queue, and one queue per
  // attempt keeps all messages of a queue on the same nominal delay, so the head expires first (±jitter).
  if (maxAttempts > 1) {
    const readyArgs: Record<string, unknown> = { 'x-queue-type': queueType, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.dlq };
    if (r.singleActiveConsumer === true) readyArgs['x-single-active-consumer'] = true;
    queues.push({ name: names.retryReady, arguments: readyArgs });
  }
  for (let attempt = 1; attempt < maxAttempts; attempt++) {
    queues.push({
      name: names.retryQueue(attempt),
      arguments: { 'x-queue-type': 'classic', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.retryReady },
    });
  }
  const keys = type === 'fanout' || type === 'headers' ? [''] : (r.bindingKeys ?? defaultBindingKeys(binding, type));
  return {
    exchanges: [{ name: names.exchange, type }],
    queues,
    bindings: keys.map((pattern) => ({
      queue: names.queue,
      exchange: names.exchange,
      pattern,
      ...(type === 'headers' && r.bindingArguments !== undefined ? { arguments: r.bindingArguments } : {}),
    })),
  };
}

/** Routing key of a published message per the binding (default: the message type). */
export function routingKeyOf(binding: Binding, message: { type: string; key: string; headers: Readonly<Record<string, string>> }): string {
  const routingKey = binding.rabbitmq?.routingKey;
  if (routingKey === undefined) return message.type;
  return typeof routingKey === 'function' ? routingKey(message) : routingKey;
}
