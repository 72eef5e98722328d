/**
 * Helpers for tests against the real RabbitMQ: random names, cleanup, and closing connections by
 * their client-provided name so one test's chaos never hits another test's (or helper's) connections.
 * Not part of the package build.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { type Binding, type BindingConfig, defineBinding, type OutgoingMessage } from '@eventfold/core';
import amqp from 'amqplib';

const run = promisify(execFile);

export const RABBITMQ_URL = process.env.EVENTFOLD_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function suffix(): string {
  return randomBytes(5).toString('hex');
}

export function rabbitBinding(name: string, config: Omit<BindingConfig, 'binder'>): Binding {
  return defineBinding(name, { binder: 'rabbitmq', ...config });
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  return stdout;
}

/** Pids of the broker's connections whose client-provided name is `connectionName`. */
export async function connectionPids(connectionName: string): Promise<string[]> {
  // Text output: `<pid>\t[{"connection_name","name"},…]` — the pid in the form close_connection accepts.
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
  const needle = `{"connection_name",${JSON.stringify(connectionName)}}`;
  return out
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => line.split('\t')[0] as string);
}

/**
 * Force-closes this test's connections only (the broker sends connection.close 320 CONNECTION_FORCED,
 * exactly what `rabbitmqctl close_connection` does). One `rabbitmqctl eval` finds them by client-provided
 * name and closes them, which halves the CLI start-up cost of list_connections + close_connection.
 */
export async function closeConnectionsNamed(connectionName: string, reason = 'test'): Promise<number> {
  if (!/^[A-Za-z0-9._-]+$/.test(connectionName) || !/^[A-Za-z0-9 ._-]+$/.test(reason)) throw new Error('unsafe connection name or reason');
  const script = [
    `Name = <<"${connectionName}">>,`,
    'Ps = [proplists:get_value(pid, I) || I <- rabbit_networking:connection_info_all([pid, client_properties]),',
    '  lists:keyfind(<<"connection_name">>, 1, proplists:get_value(client_properties, I, [])) =:= {<<"connection_name">>, longstr, Name}],',
    `[rabbit_networking:close_connection(P, "${reason}") || P <- Ps],`,
    'length(Ps).',
  ].join(' ');
  return Number((await rabbitmqctl('eval', script)).trim());
}

/**
 * Runs a raw-amqplib helper again if its connection is dropped under it (the close_all_connections
 * test closes every connection on the broker, including those of files running in parallel).
 */
async function retryOnDrop<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Connection names of every client connected to the broker. */
export async function connectionNames(): Promise<string[]> {
  const out = await rabbitmqctl('list_connections', '--no-table-headers', 'client_properties');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => /\{"connection_name","([^"]*)"\}/.exec(line)?.[1] ?? '(unnamed)');
}

export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Deletes queues and exchanges by name with a raw connection (cleanup must not depend on the code under test). */
export function deleteAll(names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  return retryOnDrop(() => deleteAllOnce(names));
}

async function deleteAllOnce(names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  // Deleting a missing queue or exchange succeeds on RabbitMQ, so any failure here is a dropped
  // connection: let it throw and retryOnDrop starts over.
  const connection = await amqp.connect(RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of names.queues ?? []) await channel.deleteQueue(queue);
    for (const exchange of names.exchanges ?? []) await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Queue names a consumer binding creates (see bindingTopology.ts), for cleanup. */
export function queuesOf(binding: Binding, maxAttempts = 5): string[] {
  const queue = `${binding.destination}.${binding.group}`;
  return [queue, `${queue}.dlq`, `${queue}.retry`, ...Array.from({ length: maxAttempts - 1 }, (_, i) => `${queue}.retry.${i + 1}`)];
}

export function message(id: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id,
    type: 'OrderPlaced',
    schemaVersion: 1,
    key: 'k',
    contentType: 'application/json',
    headers: {},
    body: Buffer.from(JSON.stringify({ id })),
    ...overrides,
  };
}

/** Message ids in a queue, in queue order, read without consuming them for good (the channel closes unacked). */
export function peekIds(queue: string): Promise<string[]> {
  return retryOnDrop(() => peekIdsOnce(queue));
}

async function peekIdsOnce(queue: string): Promise<string[]> {
  const connection = await amqp.connect(RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    const ids: string[] = [];
    for (;;) {
      const raw = await channel.get(queue, { noAck: false });
      if (raw === false) break;
      ids.push(String(raw.properties.messageId));
    }
    await channel.close();
    return ids;
  } finally {
    await connection.close().catch(() => {});
  }
}
