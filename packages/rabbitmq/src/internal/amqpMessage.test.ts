import type { OutgoingMessage } from '@eventfold/core';
import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, republishOptions } from './amqpMessage.js';

const original: OutgoingMessage = {
  id: 'm-1',
  type: 'OrderPlaced',
  schemaVersion: 3,
  key: 'order-7',
  contentType: 'application/json',
  headers: { traceparent: 't', note: 'ünï' },
  body: new Uint8Array([1, 2, 3]),
  priority: 4,
};

/** What amqplib hands a consumer for a message published with these options. */
function asReceived(content: Buffer, options: ReturnType<typeof encodeMessage>['options'], extraHeaders: Record<string, unknown> = {}): Message {
  return {
    content,
    fields: { deliveryTag: 1, redelivered: false, exchange: 'x', routingKey: 'r' },
    properties: {
      contentType: options.contentType,
      contentEncoding: undefined,
      headers: { ...options.headers, ...extraHeaders },
      deliveryMode: 2,
      priority: options.priority,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: options.messageId,
      timestamp: options.timestamp,
      type: options.type,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

describe('AMQP message format', () => {
  it('round-trips every field; transport and broker headers are not user headers', () => {
    const { content, options } = encodeMessage(original, 1_700_000_000_000);
    expect(options).toMatchObject({ messageId: 'm-1', type: 'OrderPlaced', deliveryMode: 2, mandatory: true, priority: 4, timestamp: 1_700_000_000 });
    const received = asReceived(content, options, { 'x-death': [{ count: 1 }], 'x-first-death-reason': 'expired', 'eventfold-attempt': '3' });
    const decoded = decodeMessage(received, 'shop.orders');
    expect(decoded).toMatchObject({
      id: 'm-1',
      type: 'OrderPlaced',
      schemaVersion: 3,
      key: 'order-7',
      contentType: 'application/json',
      priority: 4,
      destination: 'shop.orders',
      attempt: 3,
    });
    expect(decoded.headers).toEqual({ traceparent: 't', note: 'ünï' });
    expect(Buffer.from(decoded.body).equals(Buffer.from(original.body))).toBe(true);
  });

  it('lets the transport headers win over a user header of the same name', () => {
    const { options } = encodeMessage({ ...original, headers: { 'eventfold-key': 'spoofed' } }, 0);
    expect(options.headers['eventfold-key']).toBe('order-7');
  });

  it('calls a message without id, type or a valid schema version unreadable, not retryable', () => {
    const { content, options } = encodeMessage(original, 0);
    const cases: Array<[Partial<typeof options>, RegExp]> = [
      [{ messageId: undefined }, /no message-id/],
      [{ type: undefined }, /no type/],
      [{ headers: { 'eventfold-schema-version': '0' } }, /schema version "0"/],
    ];
    for (const [change, reason] of cases) {
      const error = (() => {
        try {
          decodeMessage(asReceived(content, { ...options, ...change }), 'd');
        } catch (e) {
          return e as { code: string; retryable: boolean; message: string };
        }
      })();
      expect(error?.code).toBe('EVENTFOLD_UNREADABLE_MESSAGE');
      expect(error?.retryable).toBe(false);
      expect(error?.message).toMatch(reason);
    }
  });

  it('copies a received message for a retry or dead letter, dropping broker headers and applying changes', () => {
    const { content, options } = encodeMessage(original, 0);
    const copy = republishOptions(asReceived(content, options, { 'x-death': [], 'eventfold-attempt': '2' }), {
      'eventfold-attempt': '3',
      traceparent: undefined,
    });
    expect(copy).toMatchObject({ messageId: 'm-1', type: 'OrderPlaced', contentType: 'application/json', priority: 4, deliveryMode: 2 });
    expect(copy.headers).toEqual({ note: 'ünï', 'eventfold-key': 'order-7', 'eventfold-schema-version': '3', 'eventfold-attempt': '3' });
  });
});
