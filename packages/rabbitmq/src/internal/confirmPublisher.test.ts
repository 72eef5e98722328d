import { isEventfoldError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import type { AmqpConnection } from './amqpConnection.js';
import { ConfirmPublisher } from './confirmPublisher.js';

/** A connection that is down for the whole test: hooks are registered but never run. */
function downConnection(): AmqpConnection {
  return {
    connectionName: 'down',
    generation: 1,
    current: () => undefined,
    ready: () => new Promise(() => {}),
    withModel: () => new Promise(() => {}),
    onConnect: async () => {},
    removeHook: () => {},
    close: async () => {},
  };
}

describe('ConfirmPublisher without a connection', () => {
  it('holds messages while disconnected and rejects them with a retryable EVENTFOLD_TIMEOUT after confirmTimeoutMs', async () => {
    const publisher = new ConfirmPublisher(downConnection(), { confirmTimeoutMs: 50 });
    await publisher.start();
    const started = performance.now();
    const error = await publisher.publish('x', 'rk', Buffer.from('a'), { messageId: 'm-1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEventfoldError(error, 'EVENTFOLD_TIMEOUT')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(publisher.unconfirmed).toBe(0);
  });

  it('bounds unconfirmed messages: the next publish waits for room', async () => {
    const publisher = new ConfirmPublisher(downConnection(), { maxUnconfirmed: 2, confirmTimeoutMs: 100 });
    const settled: string[] = [];
    const track = (id: string) =>
      publisher.publish('x', 'rk', Buffer.from(id), { messageId: id }).catch(() => {
        settled.push(id);
      });
    const all = [track('a'), track('b'), track('c')];
    await new Promise((r) => setTimeout(r, 10));
    expect(publisher.unconfirmed).toBe(2);
    await Promise.all(all);
    expect(settled).toEqual(['a', 'b', 'c']);
  });

  it('rejects pending publishes with EVENTFOLD_TRANSPORT_CLOSED on close', async () => {
    const publisher = new ConfirmPublisher(downConnection());
    const pending = publisher.publish('x', 'rk', Buffer.from('a'), {});
    await publisher.close(10);
    await expect(pending).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED', retryable: true });
    await expect(publisher.publish('x', 'rk', Buffer.from('b'), {})).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED' });
  });

  it('publishAll settles once for the whole batch, after every message, and waits for room past maxUnconfirmed', async () => {
    const publisher = new ConfirmPublisher(downConnection(), { maxUnconfirmed: 2, confirmTimeoutMs: 60_000 });
    const items = ['a', 'b', 'c'].map((id) => ({ exchange: 'x', routingKey: 'rk', content: Buffer.from(id), options: { messageId: id } }));
    let settled = 0;
    const batch = publisher.publishAll(items).finally(() => {
      settled += 1;
    });
    await new Promise((r) => setTimeout(r, 10));
    // Two sent (waiting for a connection), the third waits for room.
    expect(publisher.unconfirmed).toBe(2);
    expect(settled).toBe(0);
    await publisher.close(10);
    await expect(batch).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED', retryable: true });
    expect(settled).toBe(1);
    expect(publisher.unconfirmed).toBe(0);
    await expect(publisher.publishAll([])).rejects.toMatchObject({ code: 'EVENTFOLD_TRANSPORT_CLOSED' });
  });
});
