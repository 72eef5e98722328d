/**
 * The decider: the whole of an aggregate's behaviour as three pure functions. Repositories, buses,
 * snapshots and the decorator API are edges around it; tests drive it with plain data.
 */
import type { Headers } from '../envelope.js';
import { InvalidInputError } from '../errors.js';

/** An event as a decider emits and evolves it: a type and its data (metadata is added by the store). */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  /** Set by the repository from the upcaster registry when left out; 1 otherwise. */
  readonly schemaVersion?: number;
  readonly headers?: Headers;
}

/** A command: a request named in the imperative (`OpenAccount`) with its data. */
export interface Command<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

export interface Decider<TState, TCommand extends Command, TEvent extends DomainEvent> {
  /** Aggregate name, e.g. `Account`: event types start with it (`AccountOpened`) and stream ids default to `account-<id>`. */
  readonly name: string;
  /** Every event type `evolve` understands; the naming check and the upcasting chain use this list. */
  readonly eventTypes: readonly TEvent['type'][];
  /** The state before any event. */
  initialState(): TState;
  /** Business rules: which events a command causes in a state. Throw a CommandRejectedError to refuse. */
  decide(command: TCommand, state: TState): TEvent | readonly TEvent[];
  /** How one event changes the state. Must be pure: replay depends on it. */
  evolve(state: TState, event: TEvent): TState;
}

const declared = new Map<string, readonly string[]>();

/**
 * Declares a decider. The declaration is remembered so `npm run check:names` can check its event types.
 *
 * @example
 * const counter = defineDecider({ name: 'Counter', eventTypes: ['CounterIncremented'], initialState: () => 0,
 *   decide: () => ({ type: 'CounterIncremented', data: {} }), evolve: (n) => n + 1 });
 */
export function defineDecider<TState, TCommand extends Command, TEvent extends DomainEvent>(
  decider: Decider<TState, TCommand, TEvent>,
): Decider<TState, TCommand, TEvent> {
  if (typeof decider.name !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(decider.name)) {
    throw new InvalidInputError('decider.name', `"${String(decider.name)}" must be a PascalCase aggregate name such as "Order".`);
  }
  for (const fn of ['initialState', 'decide', 'evolve'] as const) {
    if (typeof decider[fn] !== 'function') throw new InvalidInputError(`decider.${fn}`, 'must be a function.');
  }
  if (!Array.isArray(decider.eventTypes) || decider.eventTypes.length === 0) {
    throw new InvalidInputError('decider.eventTypes', 'must list the event types evolve handles, e.g. ["OrderPlaced"].');
  }
  declareEventTypes(decider.name, decider.eventTypes);
  return decider;
}

/** Records an aggregate's event types for the naming check (deciders and @Aggregate classes call this). */
export function declareEventTypes(aggregate: string, eventTypes: readonly string[]): void {
  declared.set(aggregate, [...new Set([...(declared.get(aggregate) ?? []), ...eventTypes])]);
}

/** Every aggregate declared so far in this process, with its event types. */
export function declaredEventTypes(): ReadonlyMap<string, readonly string[]> {
  return declared;
}

/** Normalises what `decide` returned to a list. */
export function toEventList<TEvent>(decided: TEvent | readonly TEvent[] | undefined): TEvent[] {
  if (decided === undefined) return [];
  return Array.isArray(decided) ? [...(decided as readonly TEvent[])] : [decided as TEvent];
}

/** Folds events over a state with a decider's evolve. */
export function fold<TState, TEvent extends DomainEvent>(
  decider: Pick<Decider<TState, never, TEvent>, 'evolve'>,
  state: TState,
  events: Iterable<TEvent>,
): TState {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}
