/**
 * Child process of the exactly-once test: a transactional processor doubling numbers from the input
 * topic into the output topic. Prints one line per event on stdout so the parent can SIGKILL it while
 * a transaction is open ("open <n>" comes after the outputs were produced, before the commit).
 * argv: <input topic> <output topic> <group> <transactional id> <hold open ms>
 */
import { defineBinding } from '@eventfold/core';
import { createKafkaTransport } from '../createKafkaTransport.js';
import { createTransactionalProcessor } from '../createTransactionalProcessor.js';
import { kafkaTestOptions } from './kafkaTestKit.js';

const [input, output, group, transactionalId, holdMs] = process.argv.slice(2) as [string, string, string, string, string];
const transport = createKafkaTransport(kafkaTestOptions({ clientId: `eos-worker-${process.pid}` }));
const say = (line: string) => process.stdout.write(`${line}\n`);

const processor = await createTransactionalProcessor(transport, {
  input: defineBinding('in', { binder: 'kafka', destination: input, group, kafka: { partitions: 3 } }),
  output: defineBinding('out', { binder: 'kafka', destination: output, kafka: { partitions: 3 } }),
  transactionalId,
  maxBatchSize: 50,
  transform: (m) => {
    const { n } = JSON.parse(Buffer.from(m.body).toString()) as { n: number };
    return [
      { ...m, id: `out-${m.id}`, type: 'NumberDoubled', headers: { ...m.headers, 'input-id': m.id }, body: Buffer.from(JSON.stringify({ n, doubled: 2 * n })) },
    ];
  },
  beforeCommit: async (batch) => {
    say(`open ${batch.sequence} ${batch.inputs}`);
    await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  },
  afterCommit: (batch) => say(`committed ${batch.sequence} ${batch.inputs}`),
  onError: (error) => say(`error ${error instanceof Error ? error.message : String(error)}`),
});
say('ready');

process.on('SIGTERM', () => {
  void processor
    .stop()
    .then(() => transport.close())
    .then(() => process.exit(0));
});
