/**
 * The connection's socket options, on the real broker: TCP_NODELAY is on, on the first connection and
 * on every reconnect. amqplib leaves Nagle's algorithm on by default, and then a frame written behind a
 * segment the broker has not acknowledged yet waits for its delayed ACK (~40 ms on Linux): the shop's
 * hops over RabbitMQ took ~50 ms each until this was set (docs/rabbitmq.md, "Recovery").
 *
 * Node 20 has no public getter for TCP_NODELAY; `net.Socket` records what `setNoDelay` last applied
 * under its `kSetNoDelay` symbol, which this test reads.
 */
import type { Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';
import { afterEach, describe, expect, test } from 'vitest';
import { closeConnectionsNamed, RABBITMQ_URL, suffix, waitFor } from '../test/rabbitTestKit.js';
import { type AmqpConnection, openAmqpConnection } from './amqpConnection.js';

function noDelayOf(model: ChannelModel): boolean {
  const socket = (model as unknown as { connection: { stream: Socket } }).connection.stream;
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  if (key === undefined) throw new Error('this Node version keeps no kSetNoDelay on its sockets: read TCP_NODELAY another way');
  return (socket as unknown as Record<symbol, unknown>)[key] === true;
}

let connection: AmqpConnection | undefined;
afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

describe('openAmqpConnection', () => {
  test('sets TCP_NODELAY on its socket, and again on the socket of a reconnect', async () => {
    const name = `eventfold-nodelay-${suffix()}`;
    // onError reports failed reconnect hooks; this connection registers none.
    connection = await openAmqpConnection({ url: RABBITMQ_URL, connectionName: name, onError: () => {} });
    const first = await connection.ready();
    expect(noDelayOf(first)).toBe(true);

    expect(await closeConnectionsNamed(name)).toBe(1);
    const live = connection;
    await waitFor('a reconnect', () => live.generation >= 2 && live.current() !== undefined);
    const second = await live.ready();
    expect(second).not.toBe(first);
    expect(noDelayOf(second)).toBe(true);
  });
});
