import type { OutgoingMessage } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { fromKafkaRecord, KAFKA_HEADERS, toKafkaRecord } from './recordCodec.js';

const message: OutgoingMessage = {
  id: 'm-1',
  type: 'OrderPlaced',
  schemaVersion: 3,
  key: 'order-1',
  contentType: 'application/json',
  headers: { 'eventfold-correlation-id': 'c', note: 'ünï' },
  body: Uint8Array.from([0, 1, 254, 255]),
  priority: 7,
};

describe('record codec', () => {
  it('round-trips every field; internal headers do not leak into the message headers', () => {
    const record = toKafkaRecord('orders', message, { [KAFKA_HEADERS.retryAttempt]: '3', [KAFKA_HEADERS.retryDue]: '1234' });
    expect(record.key?.toString()).toBe('order-1');
    expect(record.topic).toBe('orders');
    const back = fromKafkaRecord({ key: record.key, value: record.value, headers: record.headers as Map<Buffer, Buffer> });
    expect(back.wellFormed).toBe(true);
    expect(back.attempt).toBe(3);
    expect(back.dueAt).toBe(1234);
    expect(back.message).toEqual({ ...message, body: Buffer.from(message.body) });
  });

  it('marks a record without Eventfold headers as not well-formed', () => {
    const back = fromKafkaRecord({ key: Buffer.from('k'), value: Buffer.from('{}'), headers: [] });
    expect(back.wellFormed).toBe(false);
    expect(back.attempt).toBe(1);
  });

  it('does not let a user header overwrite an internal one', () => {
    const record = toKafkaRecord('t', { ...message, headers: { [KAFKA_HEADERS.type]: 'Forged' } });
    expect(fromKafkaRecord({ key: record.key, value: record.value, headers: record.headers as Map<Buffer, Buffer> }).message.type).toBe('OrderPlaced');
  });
});
