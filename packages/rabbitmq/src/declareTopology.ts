/**
 * Topology as data: exchanges, queues and bindings that a transport declares on start and again
 * after every reconnect. Declarations are idempotent in AMQP 0-9-1, so redeclaring is safe as long
 * as the arguments match; a mismatch closes the channel with 406, which we turn into a typed error
 * that names the queue and the fix.
 */
import { EventfoldError, InvalidInputError } from '@eventfold/core';
import type { Channel } from 'amqplib';

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers';

export interface ExchangeSpec {
  readonly name: string;
  readonly type: ExchangeType;
  /** Default true: survives a broker restart. */
  readonly durable?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface QueueSpec {
  readonly name: string;
  /** Default true. Quorum queues must be durable. */
  readonly durable?: boolean;
  /** Raw x-arguments: `x-queue-type`, `x-max-priority`, `x-dead-letter-exchange`, … */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface QueueBindingSpec {
  readonly queue: string;
  readonly exchange: string;
  /** Binding key; '' for fanout and headers exchanges. */
  readonly pattern: string;
  /** Headers exchanges: `{ 'x-match': 'all' | 'any', …header values }`. */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface TopologySpec {
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly QueueSpec[];
  readonly bindings: readonly QueueBindingSpec[];
}

const EXCHANGE_TYPES: readonly string[] = ['direct', 'fanout', 'topic', 'headers'];

/** Throws InvalidInputError for a spec RabbitMQ would reject, before anything is declared. */
export function assertTopologySpec(spec: TopologySpec): void {
  spec.exchanges.forEach((exchange, i) => {
    if (exchange.name === '' || exchange.name.startsWith('amq.')) {
      throw new InvalidInputError(`topology.exchanges[${i}].name`, `"${exchange.name}" is reserved by RabbitMQ; choose another exchange name.`);
    }
    if (!EXCHANGE_TYPES.includes(exchange.type)) {
      throw new InvalidInputError(`topology.exchanges[${i}].type`, `must be one of ${EXCHANGE_TYPES.join(', ')} (got ${JSON.stringify(exchange.type)}).`);
    }
  });
  spec.queues.forEach((queue, i) => {
    if (queue.name === '' || queue.name.length > 255) {
      throw new InvalidInputError(`topology.queues[${i}].name`, 'must be 1–255 characters; server-named queues are not supported.');
    }
    if (queue.arguments?.['x-queue-type'] === 'quorum' && queue.durable === false) {
      throw new InvalidInputError(`topology.queues[${i}].durable`, 'must be true: quorum queues are always durable.');
    }
  });
}

function describeCloseError(error: unknown, what: string): EventfoldError {
  const code = (error as { code?: number }).code;
  if (code === 406) {
    return new EventfoldError(
      'EVENTFOLD_INVALID_INPUT',
      `RabbitMQ refused to declare ${what}: it already exists with other arguments (406 PRECONDITION_FAILED). Delete it or make the binding's settings match the existing one.`,
      { cause: error, context: { what, amqpCode: code } },
    );
  }
  return new EventfoldError('EVENTFOLD_TRANSPORT_UNAVAILABLE', `Declaring ${what} failed: ${(error as Error).message}`, {
    cause: error,
    retryable: true,
    context: { what, amqpCode: code },
  });
}

/**
 * Declares everything in `spec` on `channel`. A failed declaration closes the channel (AMQP rule),
 * so callers use a channel of its own for this.
 */
export async function declareTopology(channel: Channel, spec: TopologySpec): Promise<void> {
  for (const exchange of spec.exchanges) {
    try {
      await channel.assertExchange(exchange.name, exchange.type, { durable: exchange.durable ?? true, arguments: { ...exchange.arguments } });
    } catch (error) {
      throw describeCloseError(error, `exchange "${exchange.name}"`);
    }
  }
  for (const queue of spec.queues) {
    try {
      await channel.assertQueue(queue.name, { durable: queue.durable ?? true, arguments: { ...queue.arguments } });
    } catch (error) {
      throw describeCloseError(error, `queue "${queue.name}"`);
    }
  }
  for (const binding of spec.bindings) {
    try {
      await channel.bindQueue(binding.queue, binding.exchange, binding.pattern, { ...binding.arguments });
    } catch (error) {
      throw describeCloseError(error, `binding of queue "${binding.queue}" to exchange "${binding.exchange}"`);
    }
  }
}

/** Merges specs, keeping the first declaration of each exchange, queue and binding. */
export function mergeTopology(specs: readonly TopologySpec[]): TopologySpec {
  const exchanges = new Map<string, ExchangeSpec>();
  const queues = new Map<string, QueueSpec>();
  const bindings = new Map<string, QueueBindingSpec>();
  for (const spec of specs) {
    for (const e of spec.exchanges) if (!exchanges.has(e.name)) exchanges.set(e.name, e);
    for (const q of spec.queues) if (!queues.has(q.name)) queues.set(q.name, q);
    for (const b of spec.bindings) {
      const id = JSON.stringify([b.queue, b.exchange, b.pattern, b.arguments ?? {}]);
      if (!bindings.has(id)) bindings.set(id, b);
    }
  }
  return { exchanges: [...exchanges.values()], queues: [...queues.values()], bindings: [...bindings.values()] };
}
