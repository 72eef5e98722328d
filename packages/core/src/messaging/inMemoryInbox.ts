/**
 * An inbox in memory: a consumer-side dedupe on message id for tests and for effects that live in
 * the same process memory. Durable effects need the SQLite or PostgreSQL inbox, which records the
 * id in the same transaction as the effect.
 */
import type { MessageHandler } from './message.js';

export interface InMemoryInbox {
  /** Wraps a handler so each message id has its effect once; a redelivery resolves without calling it. */
  handler(handler: MessageHandler): MessageHandler;
  has(messageId: string): boolean;
  readonly size: number;
}

export function createInMemoryInbox(): InMemoryInbox {
  const processed = new Set<string>();
  const running = new Map<string, Promise<void>>();
  return {
    handler(handler) {
      return async (message) => {
        // A duplicate arriving while the first copy runs waits for it, then counts as done if it succeeded.
        const pending = running.get(message.id);
        if (pending !== undefined) await pending.catch(() => undefined);
        if (processed.has(message.id)) return;
        const run = Promise.resolve().then(() => handler(message));
        running.set(message.id, run);
        try {
          await run;
          processed.add(message.id);
        } finally {
          if (running.get(message.id) === run) running.delete(message.id);
        }
      };
    },
    has: (id) => processed.has(id),
    get size() {
      return processed.size;
    },
  };
}
