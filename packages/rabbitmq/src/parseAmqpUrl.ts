/**
 * Reads an AMQP URL the way RabbitMQ does: the path is the virtual host (`/` when empty, `%2F`
 * for a vhost literally named "/"), credentials default to guest/guest.
 */
import { InvalidInputError } from '@eventfold/core';

export interface AmqpUrl {
  /** The URL as given, for amqplib. */
  readonly url: string;
  readonly vhost: string;
  readonly host: string;
  readonly port: number;
  /** The URL with the password replaced by `***`: safe for logs and error messages. */
  readonly redacted: string;
}

/**
 * @example
 * parseAmqpUrl('amqp://guest:guest@127.0.0.1:5672/orders').vhost // 'orders'
 */
export function parseAmqpUrl(url: string): AmqpUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('url', `is not a URL (expected amqp://user:password@host:5672/vhost).`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new InvalidInputError('url', `must use amqp:// or amqps:// (got ${parsed.protocol}//).`);
  }
  if (parsed.hostname === '') throw new InvalidInputError('url', 'needs a host, e.g. amqp://guest:guest@127.0.0.1:5672.');
  const path = parsed.pathname.replace(/^\//, '');
  if (path.includes('/')) {
    throw new InvalidInputError('url', `has path "${parsed.pathname}": the path is one virtual host; write a "/" inside a vhost name as %2F.`);
  }
  const vhost = path === '' ? '/' : decodeURIComponent(path);
  const port = parsed.port === '' ? (parsed.protocol === 'amqp:' ? 5672 : 5671) : Number(parsed.port);
  const redactedUrl = new URL(url);
  if (redactedUrl.password !== '') redactedUrl.password = '***';
  return Object.freeze({ url, vhost, host: parsed.hostname, port, redacted: redactedUrl.toString() });
}
