/**
 * The DLQ API over `<queue>.dlq`. AMQP cannot peek, so reading takes messages with basic.get on a
 * channel of its own, without acking, and closing that channel puts back whatever was not removed
 * (RabbitMQ requeues unacked messages in their original position). Replay publishes the original
 * (dead-letter headers stripped, same message id) straight to the group's queue — not the exchange,
 * which would hand it to every other group again — waits for the confirm, then acks the dead letter.
 */

import { createHash } from 'node:crypto';
import {
  type Binding,
  type DeadLetter,
  type DeadLetterQueue,
  fromDeadLetterMessage,
  InvalidInputError,
  MESSAGE_HEADERS,
  type OutgoingMessage,
} from '@eventfold/core';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import type { AmqpConnection } from './internal/amqpConnection.js';
import { ATTEMPT_HEADER, DEAD_LETTER_ID_HEADER, KEY_HEADER, republishOptions, SCHEMA_VERSION_HEADER, userHeaders } from './internal/amqpMessage.js';
import { namesOf } from './internal/bindingTopology.js';
import type { ConfirmPublisher } from './internal/confirmPublisher.js';

const DLQ_HEADER_NAMES = [
  MESSAGE_HEADERS.deadLetterReason,
  MESSAGE_HEADERS.deadLetterErrorCode,
  MESSAGE_HEADERS.deadLetterAttempts,
  MESSAGE_HEADERS.deadLetterOrigin,
  MESSAGE_HEADERS.deadLetterGroup,
  MESSAGE_HEADERS.deadLetterAt,
  DEAD_LETTER_ID_HEADER,
  ATTEMPT_HEADER,
];

/** The dead letter's handle: its eventfold-dlq-id, or for one the broker dead-lettered, its message id or a content hash. */
function deadLetterIdOf(raw: GetMessage): string {
  const id = raw.properties.headers?.[DEAD_LETTER_ID_HEADER];
  if (typeof id === 'string') return id;
  if (typeof raw.properties.messageId === 'string') return `message:${raw.properties.messageId}`;
  return `sha256:${createHash('sha256').update(raw.content).digest('hex').slice(0, 32)}`;
}

function toDeadLetter(raw: GetMessage, origin: string): DeadLetter {
  const p = raw.properties;
  const version = Number(p.headers?.[SCHEMA_VERSION_HEADER] ?? 1);
  const key = p.headers?.[KEY_HEADER];
  const message: OutgoingMessage = {
    id: typeof p.messageId === 'string' ? p.messageId : '',
    type: typeof p.type === 'string' ? p.type : '',
    schemaVersion: Number.isInteger(version) ? version : 0,
    key: typeof key === 'string' ? key : '',
    contentType: typeof p.contentType === 'string' ? p.contentType : 'application/octet-stream',
    headers: userHeaders(raw),
    body: raw.content,
    ...(typeof p.priority === 'number' ? { priority: p.priority } : {}),
  };
  const letter = fromDeadLetterMessage(deadLetterIdOf(raw), message);
  // Broker-side dead letters (rejected, delivery limit) carry no eventfold headers: say so.
  if (p.headers?.[MESSAGE_HEADERS.deadLetterReason] === undefined) {
    const death = p.headers?.['x-first-death-reason'];
    return { ...letter, reason: `dead-lettered by RabbitMQ (${typeof death === 'string' ? death : 'unknown reason'})`, origin };
  }
  return letter;
}

/** Upper bound of one scan, so a DLQ that fills faster than we read cannot keep a call busy forever. */
const MAX_SCAN = 100_000;

interface ScanOptions {
  limit: number;
  /** Called per message; return true to remove it (ack), false to leave it. */
  visit: (raw: GetMessage) => Promise<boolean> | boolean;
}

export function createRabbitMqDeadLetters(connection: AmqpConnection, publisher: ConfirmPublisher): DeadLetterQueue {
  function scan(binding: Binding, options: ScanOptions): Promise<void> {
    return connection.withModel((model) => scanOn(model, binding, options));
  }

  async function scanOn(model: ChannelModel, binding: Binding, options: ScanOptions): Promise<void> {
    const { dlq } = namesOf(binding);
    const channel: Channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await channel.checkQueue(dlq);
      // Loop on basic.get until the queue is empty rather than trusting declare-ok's message count:
      // for quorum queues that count lags (messages another scan just returned are missing from it).
      for (let seen = 0; seen < options.limit; seen++) {
        const raw = await channel.get(dlq, { noAck: false });
        if (raw === false) break;
        if (await options.visit(raw)) channel.ack(raw);
      }
    } finally {
      // Closing returns every message we looked at and did not ack.
      await channel.close().catch(() => {});
    }
  }

  function wanted(ids: readonly string[] | undefined): (id: string) => boolean {
    if (ids === undefined) return () => true;
    const set = new Set(ids);
    return (id) => set.has(id);
  }

  return {
    async list(binding, options = {}) {
      const limit = options.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError('limit', `must be a positive integer (got ${JSON.stringify(limit)}).`);
      const letters: DeadLetter[] = [];
      await scan(binding, {
        limit,
        visit: (raw) => {
          letters.push(toDeadLetter(raw, binding.destination));
          return false;
        },
      });
      return letters;
    },
    async inspect(binding, deadLetterId) {
      let found: DeadLetter | undefined;
      await scan(binding, {
        limit: MAX_SCAN,
        visit: (raw) => {
          if (found === undefined && deadLetterIdOf(raw) === deadLetterId) found = toDeadLetter(raw, binding.destination);
          return false;
        },
      });
      return found;
    },
    async replay(binding, deadLetterIds) {
      const { queue } = namesOf(binding);
      const isWanted = wanted(deadLetterIds);
      let replayed = 0;
      await scan(binding, {
        limit: MAX_SCAN,
        visit: async (raw) => {
          if (!isWanted(deadLetterIdOf(raw))) return false;
          const strip = Object.fromEntries(DLQ_HEADER_NAMES.map((name) => [name, undefined]));
          await publisher.publish('', queue, raw.content, republishOptions(raw, strip));
          replayed += 1;
          return true;
        },
      });
      return replayed;
    },
    async purge(binding, deadLetterIds) {
      if (deadLetterIds === undefined) {
        return connection.withModel(async (model) => {
          const channel = await model.createChannel();
          channel.on('error', () => {});
          try {
            return (await channel.purgeQueue(namesOf(binding).dlq)).messageCount;
          } finally {
            await channel.close().catch(() => {});
          }
        });
      }
      const isWanted = wanted(deadLetterIds);
      let removed = 0;
      await scan(binding, {
        limit: MAX_SCAN,
        visit: (raw) => {
          if (!isWanted(deadLetterIdOf(raw))) return false;
          removed += 1;
          return true;
        },
      });
      return removed;
    },
  };
}
