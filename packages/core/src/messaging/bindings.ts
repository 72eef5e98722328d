/**
 * Named bindings, configured in one place (the Spring Cloud Stream idea): application code says
 * "publish to `orders-out`" and the binding says which binder, destination, group, content type,
 * partition key and retry policy that means. Binder-specific extras sit under `kafka` / `rabbitmq`;
 * a binder ignores the other's section.
 */
import type { RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { RetryPolicyOptions } from './retryPolicy.js';

/** Kafka-only settings of a binding. Client settings (brokers, linger, batch size) belong to the transport's options. */
export interface KafkaBindingExtras {
  /** Partitions when the topic is provisioned. Default: the transport's default (1). */
  partitions?: number;
  /** Replication factor when the topic is provisioned. Default 1. */
  replicationFactor?: number;
  /** Producer compression for this destination. Default 'none'. */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** Where a new consumer group starts. Default 'earliest', so nothing published after provisioning is missed. */
  offsetReset?: 'earliest' | 'latest';
  /** Extra topic configs applied on provisioning (e.g. `{ 'retention.ms': '604800000' }`). */
  topicConfig?: Record<string, string>;
}

/** RabbitMQ-only settings of a binding. */
export interface RabbitMqBindingExtras {
  /** Type of the exchange named by `destination`. Default 'topic'. */
  exchangeType?: 'direct' | 'fanout' | 'topic' | 'headers';
  /** Routing key of published messages. Default: the message type. A function derives it per message. */
  routingKey?: string | ((message: { type: string; key: string; headers: Readonly<Record<string, string>> }) => string);
  /** Binding keys of the group's queue. Default ['#'] for topic, [''] for fanout, the group for direct. */
  bindingKeys?: string[];
  /** Arguments of the queue binding: for a headers exchange, `{ 'x-match': 'all', region: 'eu' }`. */
  bindingArguments?: Record<string, string | number | boolean>;
  /** Queue type of the group's queue. Default 'quorum'. Priorities need 'classic' on RabbitMQ 3.10. */
  queueType?: 'classic' | 'quorum';
  /** Classic queues only: enables priorities 0..maxPriority (x-max-priority). */
  maxPriority?: number;
  /** One consumer receives at a time, the others stand by: strict per-queue order with failover. */
  singleActiveConsumer?: boolean;
}

/** What the relay and producers need. */
export interface ProducerSettings {
  /** Partition key of a relayed event. Default: its stream id, so per-stream order holds. */
  partitionKey?: (event: RecordedEvent) => string;
}

/** What consumers need. */
export interface ConsumerSettings {
  /** Handlers running at once in one consumer. Messages with the same key still run one at a time, in order. Default 1. */
  concurrency?: number;
  /** Delivered-but-unfinished messages one consumer holds before it pauses fetching. Default 4 × concurrency. */
  maxInFlight?: number;
  /** Attempts and backoff before a failing message is dead-lettered. Default: see DEFAULT_RETRY_POLICY. */
  retry?: RetryPolicyOptions;
}

/** One binding as written in configuration. */
export interface BindingConfig {
  /** Name of the binder that carries it: 'kafka', 'rabbitmq', 'memory', … */
  binder: string;
  /** Topic (Kafka), exchange (RabbitMQ) or channel (memory). */
  destination: string;
  /** Consumer group (Kafka group id; RabbitMQ queue `<destination>.<group>`). Required to consume. */
  group?: string;
  /** Default 'application/json'. */
  contentType?: string;
  producer?: ProducerSettings;
  consumer?: ConsumerSettings;
  kafka?: KafkaBindingExtras;
  rabbitmq?: RabbitMqBindingExtras;
}

/** A validated binding, with its name and defaults filled in. Transports receive these. */
export interface Binding extends BindingConfig {
  readonly name: string;
  readonly contentType: string;
}

/** All bindings of an application by name. */
export type Bindings<TName extends string = string> = { readonly [K in TName]: Binding };

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

function checkName(path: string, value: unknown, what: string): void {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidInputError(path, `${what} must be 1–200 characters of letters, digits, '.', '_' or '-' (got ${JSON.stringify(value)}).`);
  }
}

function checkPositiveInt(path: string, value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) {
    throw new InvalidInputError(path, `must be a positive integer (got ${JSON.stringify(value)}).`);
  }
}

/** Validates one binding and fills its defaults. Exposed for transports that accept ad-hoc bindings. */
export function defineBinding(name: string, config: BindingConfig): Binding {
  checkName('binding', name, 'A binding name');
  if (typeof config !== 'object' || config === null) throw new InvalidInputError(`bindings.${name}`, 'must be an object.');
  if (typeof config.binder !== 'string' || config.binder.length === 0) {
    throw new InvalidInputError(`bindings.${name}.binder`, "must name a binder such as 'kafka', 'rabbitmq' or 'memory'.");
  }
  checkName(`bindings.${name}.destination`, config.destination, 'A destination');
  if (config.group !== undefined) checkName(`bindings.${name}.group`, config.group, 'A group');
  if (config.contentType !== undefined && (typeof config.contentType !== 'string' || !config.contentType.includes('/'))) {
    throw new InvalidInputError(`bindings.${name}.contentType`, `must be a MIME type such as 'application/json' (got ${JSON.stringify(config.contentType)}).`);
  }
  checkPositiveInt(`bindings.${name}.consumer.concurrency`, config.consumer?.concurrency);
  checkPositiveInt(`bindings.${name}.consumer.maxInFlight`, config.consumer?.maxInFlight);
  checkPositiveInt(`bindings.${name}.kafka.partitions`, config.kafka?.partitions);
  const maxPriority = config.rabbitmq?.maxPriority;
  if (maxPriority !== undefined && (!Number.isInteger(maxPriority) || maxPriority < 1 || maxPriority > 255)) {
    throw new InvalidInputError(`bindings.${name}.rabbitmq.maxPriority`, `must be an integer 1–255 (got ${JSON.stringify(maxPriority)}).`);
  }
  if (maxPriority !== undefined && config.rabbitmq?.queueType === 'quorum') {
    throw new InvalidInputError(`bindings.${name}.rabbitmq.maxPriority`, "needs queueType 'classic': RabbitMQ 3.10 quorum queues have no priorities.");
  }
  return Object.freeze({ ...config, name, contentType: config.contentType ?? 'application/json' });
}

/**
 * Declares all bindings of an application in one place.
 *
 * @example
 * const bindings = defineBindings({
 *   ordersOut: { binder: 'kafka', destination: 'shop.orders', kafka: { partitions: 6 } },
 *   ordersIn: { binder: 'kafka', destination: 'shop.orders', group: 'billing', consumer: { concurrency: 8 } },
 * });
 * await transport.publish(bindings.ordersOut, messages);
 */
export function defineBindings<TName extends string>(configs: { readonly [K in TName]: BindingConfig }): Bindings<TName> {
  const out = {} as { [K in TName]: Binding };
  for (const name of Object.keys(configs) as TName[]) out[name] = defineBinding(name, configs[name]);
  return Object.freeze(out);
}

/** The binding's group, or a typed error naming the fix: consuming needs a group. */
export function requireGroup(binding: Binding): string {
  if (binding.group === undefined) {
    throw new InvalidInputError(`bindings.${binding.name}.group`, 'is required to consume: give the binding a consumer group.');
  }
  return binding.group;
}
