import type { OutgoingMessage } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { type DecodedRecord, decodeDelivered, fromKafkaRecord, KAFKA_HEADERS, toDelivered, toKafkaRecord } from './recordCodec.js';

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

const blank = (): DecodedRecord => ({ message: undefined as never, dueAt: 0, wellFormed: false });

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

  it('decodes straight to the delivered message, the same as fromKafkaRecord + toDelivered', () => {
    const record = toKafkaRecord('orders', message, { [KAFKA_HEADERS.retryAttempt]: '2', [KAFKA_HEADERS.retryDue]: '1700000000123' });
    const consumed = { key: record.key, value: record.value, headers: record.headers as Map<Buffer, Buffer> };
    const decoded = decodeDelivered(consumed, 'orders', blank());
    const envelope = fromKafkaRecord(consumed);
    expect(decoded.message).toEqual(toDelivered(envelope.message, 'orders', envelope.attempt));
    expect(decoded.message.attempt).toBe(2);
    expect(decoded.dueAt).toBe(1_700_000_000_123);
    expect(decoded.wellFormed).toBe(true);
  });

  it('tells apart repeated types and content types of equal length, and reads odd header values like before', () => {
    const types = ['OrderPlaced', 'OrderPlacee', 'OrderPlaced', 'PaymentTaken', 'OrderPlacee'];
    for (const type of types) {
      const record = toKafkaRecord('t', { ...message, type, contentType: type === 'OrderPlaced' ? 'application/json' : 'application/jsoN' });
      const decoded = decodeDelivered({ key: record.key, value: record.value, headers: record.headers as Map<Buffer, Buffer> }, 't', blank());
      expect(decoded.message.type).toBe(type);
      expect(decoded.message.contentType).toBe(type === 'OrderPlaced' ? 'application/json' : 'application/jsoN');
    }
    const odd = (version: string) =>
      decodeDelivered(
        {
          key: null,
          value: null,
          headers: [
            [Buffer.from(KAFKA_HEADERS.id), Buffer.from('x')],
            [Buffer.from(KAFKA_HEADERS.type), Buffer.from('T')],
            [Buffer.from(KAFKA_HEADERS.schemaVersion), Buffer.from(version)],
            [Buffer.from('eventfold-message-iX'), Buffer.from("user header with an internal name's length")],
          ],
        },
        'd',
        blank(),
      );
    expect(odd('2x').message.schemaVersion, 'parseInt semantics').toBe(2);
    expect(odd('v2').wellFormed).toBe(false);
    expect(odd('12').message.schemaVersion).toBe(12);
    expect(odd('1').message.headers).toEqual({ 'eventfold-message-iX': "user header with an internal name's length" });
    expect(odd('1').message.key).toBe('');
    expect(odd('1').message.body.length).toBe(0);
  });
});
