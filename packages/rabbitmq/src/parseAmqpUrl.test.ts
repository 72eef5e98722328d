import { describe, expect, it } from 'vitest';
import { parseAmqpUrl } from './parseAmqpUrl.js';

describe('parseAmqpUrl', () => {
  it('reads the virtual host from the path', () => {
    expect(parseAmqpUrl('amqp://guest:guest@127.0.0.1:5672').vhost).toBe('/');
    expect(parseAmqpUrl('amqp://guest:guest@127.0.0.1:5672/').vhost).toBe('/');
    expect(parseAmqpUrl('amqp://guest:guest@127.0.0.1:5672/orders').vhost).toBe('orders');
    expect(parseAmqpUrl('amqp://guest:guest@127.0.0.1/%2F').vhost).toBe('/');
    expect(parseAmqpUrl('amqp://guest:guest@127.0.0.1/shop%2Fprod').vhost).toBe('shop/prod');
  });

  it('defaults the port per scheme and redacts the password', () => {
    const url = parseAmqpUrl('amqps://app:s3cret@broker.example/v');
    expect(url.port).toBe(5671);
    expect(url.redacted).not.toContain('s3cret');
    expect(parseAmqpUrl('amqp://h').port).toBe(5672);
  });

  it.each([
    ['not a url', /is not a URL/],
    ['http://127.0.0.1:5672', /amqp:\/\/ or amqps:\/\//],
    ['amqp://127.0.0.1/a/b', /one virtual host/],
  ])('rejects %s with a typed error', (input, message) => {
    expect(() => parseAmqpUrl(input)).toThrow(message);
    try {
      parseAmqpUrl(input);
    } catch (error) {
      expect((error as { code: string }).code).toBe('EVENTFOLD_INVALID_INPUT');
    }
  });
});
