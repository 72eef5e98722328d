/**
 * The in-process event bus: any number of handlers per event type (or '*'), called in
 * registration order (with `correlation: true`, inside the event's message context so what it
 * dispatches is correlated with the event). For durable delivery feed it from the store with `connectEventBus`.
 */
import type { RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import { runInMessageContext } from './messageContext.js';

export type EventBusHandler<TEvent extends RecordedEvent = RecordedEvent> = (event: TEvent) => unknown | Promise<unknown>;

export interface EventBusOptions {
  /** Run each handler with the event as ambient message context (see `correlation()`). Default false. */
  correlation?: boolean;
}

export interface EventBus<TEvent extends RecordedEvent = RecordedEvent> {
  /** Subscribes to one event type, or '*' for all. Returns an unsubscribe function. */
  subscribe<TType extends TEvent['type'] | '*'>(
    type: TType,
    handler: EventBusHandler<TType extends '*' ? TEvent : Extract<TEvent, { type: TType }>>,
  ): () => void;
  /** Calls every matching handler in order; if any throw, the rest still run and the errors are rethrown together. */
  publish(event: TEvent): Promise<void>;
}

/**
 * @example
 * const events = createEventBus();
 * events.subscribe('AccountOpened', async (e) => mailer.welcome(e.data.owner));
 */
export function createEventBus<TEvent extends RecordedEvent = RecordedEvent>(options: EventBusOptions = {}): EventBus<TEvent> {
  const handlers = new Map<string, EventBusHandler[]>();
  return {
    subscribe(type, handler) {
      if (typeof handler !== 'function') throw new InvalidInputError('handler', `the event handler for "${type}" must be a function.`);
      const entry = handler as EventBusHandler;
      handlers.set(type, [...(handlers.get(type) ?? []), entry]);
      return () =>
        handlers.set(
          type,
          (handlers.get(type) ?? []).filter((h) => h !== entry),
        );
    },
    async publish(event) {
      const matching = [...(handlers.get(event.type) ?? []), ...(handlers.get('*') ?? [])];
      const errors: unknown[] = [];
      const context = {
        messageId: event.eventId,
        correlationId: event.correlationId ?? event.eventId,
        causationId: event.causationId,
        headers: event.headers,
      };
      for (const handler of matching) {
        try {
          await (options.correlation ? runInMessageContext(context, () => handler(event)) : handler(event));
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} handlers of ${event.type} failed.`);
    },
  };
}
