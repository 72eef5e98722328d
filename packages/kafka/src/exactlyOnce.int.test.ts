/**
 * Exactly-once consume-transform-produce on the real broker: a transactional processor is SIGKILLed
 * while a transaction is open (its outputs already written), a new incarnation with the same
 * transactional id takes over, and the output topic read with read_committed holds each input once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defineBinding } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaTransport } from './createKafkaTransport.js';
import { fromKafkaRecord } from './internal/recordCodec.js';
import { kafkaTestOptions, randomTopic } from './test/kafkaTestKit.js';

const worker = fileURLToPath(new URL('./test/eosWorker.ts', import.meta.url));
const INPUTS = 1_000;

function startWorker(args: string[], onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', worker, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('Kafka exactly-once consume-transform-produce', () => {
  const transport = createKafkaTransport(kafkaTestOptions());
  const input = defineBinding('in', { binder: 'kafka', destination: randomTopic('eos.in'), group: randomTopic('eos.g'), kafka: { partitions: 3 } });
  const output = defineBinding('out', { binder: 'kafka', destination: randomTopic('eos.out'), kafka: { partitions: 3 } });
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await transport.deprovision(input).catch(() => {});
    await transport.deprovision(output).catch(() => {});
    await transport.close();
  });

  it('holds each input exactly once in the read_committed output after a SIGKILL mid-transaction', async () => {
    await transport.provision(input);
    await transport.provision(output);
    const sent = Array.from({ length: INPUTS }, (_, n) => ({
      id: `in-${n}`,
      type: 'NumberSubmitted',
      schemaVersion: 1,
      key: `k${n % 17}`,
      contentType: 'application/json',
      headers: {},
      body: Buffer.from(JSON.stringify({ n })),
    }));
    await transport.publish(input, sent);
    const transactionalId = randomTopic('eos.tx');
    const args = [input.destination, output.destination, input.group as string, transactionalId];

    // First incarnation: hold each transaction open 150 ms so the kill lands inside one.
    let committed = 0;
    const first = startWorker([...args, '150'], (line) => {
      if (line.startsWith('committed')) committed += 1;
      if (line.startsWith('open') && committed >= 3 && first.exitCode === null) first.kill('SIGKILL');
    });
    children.push(first);
    await exited(first);
    expect(first.signalCode, 'the first worker was killed').toBe('SIGKILL');
    expect(committed).toBeGreaterThanOrEqual(3);
    expect(committed * 50, 'the kill came before the end').toBeLessThan(INPUTS);

    // Second incarnation, same transactional id: fences the dead one, aborts its open transaction, finishes.
    const second = startWorker([...args, '0'], () => {});
    children.push(second);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const lag = await transport.lag(input);
      const committedInputs = lag.partitions.filter((p) => p.topic === input.destination).reduce((s, p) => s + (p.committedOffset ?? 0n), 0n);
      if (committedInputs === BigInt(INPUTS)) break;
      if (Date.now() > deadline) throw new Error(`second worker committed only ${committedInputs} of ${INPUTS} inputs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    second.kill('SIGTERM');
    await exited(second);

    const committedOut = await transport.readTopic(output.destination, 'read_committed');
    const perInput = new Map<string, number>();
    for (const record of committedOut) {
      const inputId = fromKafkaRecord(record).message.headers['input-id'] as string;
      perInput.set(inputId, (perInput.get(inputId) ?? 0) + 1);
    }
    const duplicated = [...perInput].filter(([, count]) => count > 1);
    const missing = sent.filter((m) => !perInput.has(m.id));
    expect(duplicated, 'inputs with more than one committed output').toEqual([]);
    expect(
      missing.map((m) => m.id),
      'inputs without output',
    ).toEqual([]);
    expect(committedOut).toHaveLength(INPUTS);

    // The killed transaction had written outputs: read_uncommitted sees them, read_committed does not.
    const everything = await transport.readTopic(output.destination, 'read_uncommitted');
    expect(everything.length, 'aborted outputs of the killed transaction are in the log').toBeGreaterThan(INPUTS);
  });
});
