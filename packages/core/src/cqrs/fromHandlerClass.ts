/**
 * Adapters from decorated read-side classes (@EventHandler, @QueryHandler) to the function-based
 * engine: a projection definition, query-bus registrations and event-bus subscriptions.
 */
import type { RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import { handlersOf } from '../eventsourcing/decorators.js';
import type { EventBus } from './createEventBus.js';
import type { QueryBus } from './createQueryBus.js';
import { defineProjection, type Projection, type ProjectionHandler } from './defineProjection.js';

/**
 * A projection from an object whose methods carry @EventHandler(type); each is called as (event, context).
 *
 * @example
 * const projection = projectionFromClass<Database>(new BalancesView(), { name: 'balances' });
 */
export function projectionFromClass<TContext>(
  instance: object,
  options: { name: string; init?: (context: TContext) => void | Promise<void>; reset?: (context: TContext) => void | Promise<void> },
): Projection<TContext> {
  const handlers = Object.fromEntries(handlersOf(instance, 'event')) as Record<string, ProjectionHandler<TContext>>;
  if (Object.keys(handlers).length === 0) throw new InvalidInputError('projection', `${instance.constructor.name} has no @EventHandler methods.`);
  return defineProjection<TContext>({ ...options, handlers });
}

/** Registers every @QueryHandler(type) method of `instance` on the bus; returns one function that unregisters them all. */
export function registerQueryHandlers(bus: QueryBus, instance: object): () => void {
  const handlers = handlersOf(instance, 'query');
  if (handlers.size === 0) throw new InvalidInputError('queryHandlers', `${instance.constructor.name} has no @QueryHandler methods.`);
  const undo = [...handlers].map(([type, handler]) => bus.register(type, (query) => handler(query)));
  return () => {
    for (const u of undo) u();
  };
}

/** Subscribes every @EventHandler(type) method of `instance` to the event bus. */
export function registerEventHandlers(bus: EventBus, instance: object): () => void {
  const handlers = handlersOf(instance, 'event');
  if (handlers.size === 0) throw new InvalidInputError('eventHandlers', `${instance.constructor.name} has no @EventHandler methods.`);
  const undo = [...handlers].map(([type, handler]) => bus.subscribe(type, (event: RecordedEvent) => handler(event)));
  return () => {
    for (const u of undo) u();
  };
}
