import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { fromDeadLetterMessage, toDeadLetterMessage } from './deadLetter.js';
import { encodeJsonMessage } from './jsonSerde.js';
import { MESSAGE_HEADERS } from './message.js';

const original = {
  ...encodeJsonMessage({ id: 'm1', type: 'OrderPlaced', schemaVersion: 2, key: 'order-1', data: { a: 1 }, headers: { traceparent: 't' } }),
  priority: 3,
};
const at = new Date('2026-01-02T03:04:05.000Z');

describe('dead-letter format', () => {
  it('adds reason, code, attempts, origin, group and time as headers, body and original headers unchanged', () => {
    const letter = toDeadLetterMessage(original, { error: new InvalidInputError('data.a', 'bad'), attempts: 5, origin: 'shop.orders', group: 'billing', at });
    expect(letter.body).toBe(original.body);
    expect(letter.headers).toEqual({
      traceparent: 't',
      [MESSAGE_HEADERS.deadLetterReason]: 'data.a: bad',
      [MESSAGE_HEADERS.deadLetterErrorCode]: 'EVENTFOLD_INVALID_INPUT',
      [MESSAGE_HEADERS.deadLetterAttempts]: '5',
      [MESSAGE_HEADERS.deadLetterOrigin]: 'shop.orders',
      [MESSAGE_HEADERS.deadLetterGroup]: 'billing',
      [MESSAGE_HEADERS.deadLetterAt]: '2026-01-02T03:04:05.000Z',
    });
    const read = fromDeadLetterMessage('dl-1', letter);
    expect(read).toEqual({
      deadLetterId: 'dl-1',
      message: original,
      reason: 'data.a: bad',
      errorCode: 'EVENTFOLD_INVALID_INPUT',
      attempts: 5,
      origin: 'shop.orders',
      group: 'billing',
      deadLetteredAt: at,
    });
  });

  it('caps long reasons and describes non-Error throws', () => {
    const long = toDeadLetterMessage(original, { error: new Error('x'.repeat(5_000)), attempts: 1, origin: 'o', group: undefined, at });
    expect(long.headers[MESSAGE_HEADERS.deadLetterReason]).toHaveLength(1_000);
    expect(long.headers[MESSAGE_HEADERS.deadLetterGroup]).toBeUndefined();
    const thrown = toDeadLetterMessage(original, { error: 'a string', attempts: 1, origin: 'o', group: 'g', at });
    expect(fromDeadLetterMessage('d', thrown)).toMatchObject({ reason: 'a string', errorCode: undefined });
  });
});
