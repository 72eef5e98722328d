/**
 * The class-based API (Axon style) as a thin layer over deciders. TC39 standard decorators mark
 * methods; `@Aggregate` turns the class into a Decider whose state is an instance of the class:
 * `decide` calls the @CommandHandler method, `evolve` the @EventSourcingHandler method.
 * Read-side classes mark @EventHandler and @QueryHandler methods, wired by `projectionFromClass`
 * and `registerQueryHandlers`.
 */
import type { JsonValue } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import { type Command, type Decider, type DomainEvent, declareEventTypes } from './decider.js';
import { defineSnapshotPolicy, type SnapshotOptions, type SnapshotPolicy } from './snapshotPolicy.js';

type MarkerKind = 'command' | 'eventSourcing' | 'event' | 'query';
interface Marker {
  kind: MarkerKind;
  type: string;
}

// Markers sit on the method functions themselves, so no decorator ordering or Symbol.metadata
// (absent on Node 20) is needed: the class is scanned once when it is adapted.
const markers = new WeakMap<object, Marker[]>();

type AnyMethod = (this: never, message: never, ...rest: never[]) => unknown;

function marker(kind: MarkerKind, type: string) {
  if (typeof type !== 'string' || type.length === 0)
    throw new InvalidInputError('decorator', `@${kind} needs the message type it handles, e.g. ('OrderPlaced').`);
  return <T extends AnyMethod>(method: T, context: ClassMethodDecoratorContext): void => {
    if (context.kind !== 'method' || context.static || context.private) {
      throw new InvalidInputError(String(context.name), 'handler decorators go on public instance methods.');
    }
    markers.set(method, [...(markers.get(method) ?? []), { kind, type }]);
  };
}

/** Marks a method that decides which events a command causes. It returns the event(s) or throws a CommandRejectedError. */
export const CommandHandler = (commandType: string) => marker('command', commandType);
/** Marks a method that applies one event type to the aggregate's fields. */
export const EventSourcingHandler = (eventType: string) => marker('eventSourcing', eventType);
/** Marks a read-side method that handles an event type (projections, reactors). */
export const EventHandler = (eventType: string) => marker('event', eventType);
/** Marks a read-side method that answers a query type. */
export const QueryHandler = (queryType: string) => marker('query', queryType);

/** Handler methods of an instance, by kind and message type. */
export function handlersOf(instance: object, kind: MarkerKind): Map<string, (message: unknown, ...rest: unknown[]) => unknown> {
  const found = new Map<string, (message: unknown, ...rest: unknown[]) => unknown>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
      if (typeof value !== 'function') continue;
      for (const m of markers.get(value) ?? []) {
        if (m.kind !== kind || found.has(m.type)) continue;
        found.set(m.type, value.bind(instance));
      }
    }
  }
  return found;
}

export interface AggregateOptions {
  /** Aggregate name (PascalCase); event types start with it. Default: the class name. */
  name?: string;
}

type AggregateClass<TState> = new () => TState;
const deciders = new WeakMap<object, Decider<object, Command, DomainEvent>>();

/**
 * Declares an event-sourced aggregate class. Its constructor takes no arguments and sets the
 * initial state; handler methods must only touch `this`.
 *
 * @example
 * @Aggregate({ name: 'Account' })
 * class Account { balance = 0; @EventSourcingHandler('AccountDeposited') deposited(e) { this.balance += e.data.amount; } }
 */
export function Aggregate(options: AggregateOptions = {}) {
  return <TClass extends AggregateClass<object>>(target: TClass, context: ClassDecoratorContext<TClass>): void => {
    const name = options.name ?? String(context.name);
    const prototype = new target();
    const commandHandlers = handlersOf(prototype, 'command');
    const eventTypes = [...handlersOf(prototype, 'eventSourcing').keys()];
    if (commandHandlers.size === 0) throw new InvalidInputError(`@Aggregate ${name}`, 'has no @CommandHandler methods.');
    if (eventTypes.length === 0) throw new InvalidInputError(`@Aggregate ${name}`, 'has no @EventSourcingHandler methods.');
    const method = (kind: MarkerKind, type: string) => findMethod(target.prototype, kind, type);
    const decider: Decider<object, Command, DomainEvent> = {
      name,
      eventTypes,
      initialState: () => new target(),
      decide(command, state) {
        const fn = method('command', command.type);
        if (!fn) throw new InvalidInputError('command.type', `${name} has no @CommandHandler for "${command.type}".`);
        return fn.call(state, command) as DomainEvent | DomainEvent[];
      },
      evolve(state, event) {
        method('eventSourcing', event.type)?.call(state, event);
        return state;
      },
    };
    Object.defineProperty(decider, 'commandTypes', { value: [...commandHandlers.keys()], enumerable: true });
    declareEventTypes(name, eventTypes);
    deciders.set(target, decider);
  };
}

const methodCache = new WeakMap<object, Map<string, (message: unknown) => unknown>>();
function findMethod(prototype: object, kind: MarkerKind, type: string): ((message: unknown) => unknown) | undefined {
  let cache = methodCache.get(prototype);
  if (!cache) {
    cache = new Map();
    for (let proto: object | null = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
        if (typeof value !== 'function') continue;
        for (const m of markers.get(value) ?? []) {
          const k = `${m.kind}:${m.type}`;
          if (!cache.has(k)) cache.set(k, value);
        }
      }
    }
    methodCache.set(prototype, cache);
  }
  return cache.get(`${kind}:${type}`);
}

/**
 * The Decider behind an @Aggregate class: use it with createRepository, fixtures and buses like any decider.
 *
 * @example
 * const accounts = createRepository({ store, decider: fromAggregate(Account) });
 */
export function fromAggregate<TState extends object, TCommand extends Command = Command, TEvent extends DomainEvent = DomainEvent>(
  target: AggregateClass<TState>,
): Decider<TState, TCommand, TEvent> & { readonly commandTypes: readonly string[] } {
  const decider = deciders.get(target);
  if (!decider) throw new InvalidInputError('aggregate', `${target.name} is not decorated with @Aggregate().`);
  return decider as unknown as Decider<TState, TCommand, TEvent> & { readonly commandTypes: readonly string[] };
}

/** A snapshot policy for an @Aggregate class: its own fields are the snapshot; loading assigns them to a new instance. */
export function aggregateSnapshotPolicy<TState extends object>(
  target: AggregateClass<TState>,
  options: Omit<SnapshotOptions<TState>, 'toSnapshot' | 'fromSnapshot'>,
): SnapshotPolicy<TState> {
  return defineSnapshotPolicy<TState>({
    ...options,
    toSnapshot: (state) => ({ ...state }) as unknown as JsonValue,
    fromSnapshot: (json) => Object.assign(new target(), json as object),
  });
}
