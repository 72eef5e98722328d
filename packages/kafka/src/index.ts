/** @eventfold/kafka — the Kafka binder: transport, topic provisioning, consumer lag, dead letters, transactions. */
export { type ConsumerLag, getConsumerLag, type PartitionLag } from './consumerLag.js';
export { createKafkaTransport, deadLetterTopicOf, type KafkaTransport, retryTopicOf } from './createKafkaTransport.js';
export {
  createTransactionalProcessor,
  type TransactionalBatchInfo,
  type TransactionalProcessor,
  type TransactionalProcessorOptions,
} from './createTransactionalProcessor.js';
export { KAFKA_HEADERS } from './internal/recordCodec.js';
export type { TopicRecord } from './internal/topicReader.js';
export { DLQ_REMOVED_HEADER } from './kafkaDeadLetters.js';
export type { KafkaCompression, KafkaConsumerOptions, KafkaProducerOptions, KafkaTransportOptions } from './kafkaTransportOptions.js';
export { ensureTopics, type TopicSpec, topicsForBinding } from './provisionTopics.js';
