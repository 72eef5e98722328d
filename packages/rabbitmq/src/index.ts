/** @eventfold/rabbitmq — the RabbitMQ binder (amqplib 2.3): topology, publisher confirms, recovery, retries and dead letters. */

export { createRabbitMqDeadLetters } from './createRabbitMqDeadLetters.js';
export { createRabbitMqTransport, type RabbitMqTransport, type RabbitMqTransportOptions, type RabbitMqTransportStats } from './createRabbitMqTransport.js';
export {
  assertTopologySpec,
  declareTopology,
  type ExchangeSpec,
  type ExchangeType,
  mergeTopology,
  type QueueBindingSpec,
  type QueueSpec,
  type TopologySpec,
} from './declareTopology.js';
export type { ReconnectOptions } from './internal/amqpConnection.js';
export { type AmqpUrl, parseAmqpUrl } from './parseAmqpUrl.js';
