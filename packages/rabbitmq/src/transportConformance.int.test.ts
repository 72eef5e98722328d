/** The shared Transport conformance suite on the real RabbitMQ (quorum queues, the binder's default). */
import { describeTransportConformance } from '@eventfold/core/testing';
import { createRabbitMqTransport } from './index.js';
import { deleteAll, queuesOf, RABBITMQ_URL, suffix } from './test/rabbitTestKit.js';

describeTransportConformance('rabbitmq', {
  createTransport: () => createRabbitMqTransport({ url: RABBITMQ_URL, connectionName: `conformance-${suffix()}` }),
  cleanup: (bindings) =>
    deleteAll({
      queues: bindings.filter((b) => b.group !== undefined).flatMap((b) => queuesOf(b, b.consumer?.retry?.maxAttempts ?? 5)),
      exchanges: [...new Set(bindings.map((b) => b.destination))],
    }),
});
