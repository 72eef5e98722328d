/**
 * A projection: how events of some types update one read model. The definition is storage-neutral;
 * `TContext` is what handlers write through (a better-sqlite3 Database, a pg client, a Map…), and
 * a runner supplies it inside the transaction that also moves the projection's checkpoint.
 */
import type { RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';

export type ProjectionHandler<TContext, TEvent extends RecordedEvent = RecordedEvent> = (event: TEvent, context: TContext) => void | Promise<void>;

export type ProjectionHandlers<TContext, TEvent extends RecordedEvent> = {
  [K in TEvent['type']]?: ProjectionHandler<TContext, Extract<TEvent, { type: K }>>;
};

export interface ProjectionOptions<TContext, TEvent extends RecordedEvent> {
  /** Unique name; also the checkpoint's name. */
  name: string;
  handlers: ProjectionHandlers<TContext, TEvent>;
  /** Creates the read model's tables; must be idempotent (CREATE TABLE IF NOT EXISTS). */
  init?: (context: TContext) => void | Promise<void>;
  /** Empties the read model before a rebuild. */
  reset?: (context: TContext) => void | Promise<void>;
}

export interface Projection<TContext> {
  readonly name: string;
  readonly eventTypes: readonly string[];
  readonly init: ((context: TContext) => void | Promise<void>) | undefined;
  readonly reset: ((context: TContext) => void | Promise<void>) | undefined;
  /** Applies the events this projection handles, in order; returns a promise only if a handler did. */
  apply(events: readonly RecordedEvent[], context: TContext): void | Promise<void>;
}

/**
 * @example
 * const balances = defineProjection<Database, AccountEvent>({
 *   name: 'balances',
 *   init: (db) => db.exec('CREATE TABLE IF NOT EXISTS balances (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)'),
 *   handlers: { MoneyDeposited: (e, db) => db.prepare('UPDATE balances SET balance = balance + ? WHERE id = ?').run(e.data.amount, e.streamId) },
 * });
 */
export function defineProjection<TContext, TEvent extends RecordedEvent = RecordedEvent>(options: ProjectionOptions<TContext, TEvent>): Projection<TContext> {
  if (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 200) {
    throw new InvalidInputError('projection.name', 'must be a non-empty string of at most 200 characters, e.g. "balances".');
  }
  const handlers = new Map<string, ProjectionHandler<TContext>>();
  for (const [type, handler] of Object.entries(options.handlers as Record<string, unknown>)) {
    if (typeof handler !== 'function') throw new InvalidInputError(`projection.handlers.${type}`, 'must be a function (event, context) => void.');
    handlers.set(type, handler as ProjectionHandler<TContext>);
  }
  if (handlers.size === 0) throw new InvalidInputError('projection.handlers', 'must handle at least one event type.');
  return {
    name: options.name,
    eventTypes: [...handlers.keys()],
    init: options.init,
    reset: options.reset,
    apply(events, context) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as RecordedEvent;
        const result = handlers.get(event.type)?.(event, context);
        if (result && typeof (result as Promise<void>).then === 'function') return continueAsync(result as Promise<void>, events, i + 1, context);
      }
    },
  };

  // Handlers that return promises are awaited one after another; synchronous ones stay synchronous
  // so stores with synchronous transactions (better-sqlite3) can run them.
  async function continueAsync(pending: Promise<void>, events: readonly RecordedEvent[], from: number, context: TContext): Promise<void> {
    await pending;
    for (let i = from; i < events.length; i++) {
      const event = events[i] as RecordedEvent;
      await handlers.get(event.type)?.(event, context);
    }
  }
}
