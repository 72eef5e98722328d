/**
 * Ready-made bus middleware: correlation/causation propagation, logging, and idempotency by
 * message id. (Schema validation runs for every handler registered with a `schema`.)
 */
import type { Middleware } from './internal/handlerBus.js';
import { runInMessageContext } from './messageContext.js';

/**
 * Makes the message being handled the ambient context (AsyncLocalStorage) for everything its
 * handler does: nested dispatches take its correlation id and name it as their cause, and
 * repository appends stamp their events with both. Opt-in because on Node 20 the first
 * AsyncLocalStorage use installs promise hooks that slow every promise in the process; without it
 * the context is still passed to each handler as its second argument.
 */
export function correlation(): Middleware {
  return (envelope, next) => runInMessageContext(envelope, () => next(envelope));
}

export interface Logger {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface LoggingOptions {
  logger?: Logger;
  /** Time source for durations. Default performance.now. */
  now?: () => number;
}

const consoleLogger: Logger = {
  info: (message, fields) => console.info(message, fields),
  error: (message, fields) => console.error(message, fields),
};

/** Logs every message with its ids, duration and outcome (error code on failure). */
export function logging(options: LoggingOptions = {}): Middleware {
  const logger = options.logger ?? consoleLogger;
  const now = options.now ?? (() => performance.now());
  return async (envelope, next) => {
    const started = now();
    const fields = () => ({
      bus: envelope.bus,
      type: envelope.message.type,
      messageId: envelope.messageId,
      correlationId: envelope.correlationId,
      causationId: envelope.causationId,
      ms: Math.round((now() - started) * 1000) / 1000,
    });
    try {
      const result = await next(envelope);
      logger.info(`${envelope.bus} ${envelope.message.type} handled`, fields());
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      logger.error(`${envelope.bus} ${envelope.message.type} failed`, { ...fields(), code, error: (error as Error).message });
      throw error;
    }
  };
}

/** Where idempotency() remembers outcomes. The default keeps them in memory. */
export interface IdempotencyStore {
  get(messageId: string): Promise<unknown> | undefined;
  set(messageId: string, outcome: Promise<unknown>): void;
  delete(messageId: string): void;
}

export interface IdempotencyOptions {
  store?: IdempotencyStore;
  /** Outcomes remembered by the default store (oldest forgotten first). Default 10,000. */
  maxEntries?: number;
}

function memoryStore(maxEntries: number): IdempotencyStore {
  const outcomes = new Map<string, Promise<unknown>>();
  return {
    get: (id) => outcomes.get(id),
    set(id, outcome) {
      outcomes.set(id, outcome);
      if (outcomes.size > maxEntries) outcomes.delete(outcomes.keys().next().value as string);
    },
    delete: (id) => outcomes.delete(id),
  };
}

/**
 * A message sent again with the same caller-given id (`dispatch(cmd, { messageId })`) is not
 * handled again: the caller gets the first outcome (waiting for it if still running). A failed
 * attempt is forgotten so the retry runs. Messages without a given id pass through.
 */
export function idempotency(options: IdempotencyOptions = {}): Middleware {
  const store = options.store ?? memoryStore(options.maxEntries ?? 10_000);
  return (envelope, next) => {
    if (!envelope.messageIdGiven) return next(envelope);
    const key = `${envelope.bus}:${envelope.messageId}`;
    const previous = store.get(key);
    if (previous) return previous;
    const outcome = next(envelope);
    store.set(key, outcome);
    outcome.catch(() => store.delete(key));
    return outcome;
  };
}
