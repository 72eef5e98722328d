/**
 * Choreography: a reaction says "on event X, do Y (and emit Z)". No coordinator — each service
 * reacts to the others' events. A reactor (`createReactor`) runs reactions as a checkpointed
 * subscription; what they write inherits the event's correlation id and names it as the cause, so
 * `traceFlow` can rebuild the whole flow afterwards.
 */
import type { EventToAppend, JsonValue, RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { ExpectedVersion } from '../expectedVersion.js';

export interface ReactionContext {
  readonly now: Date;
  /**
   * Appends events (Z) to a stream. Their ids derive from the event being handled, so a reaction
   * that runs again after a crash stores them once.
   */
  emit(
    streamId: string,
    events: readonly Pick<EventToAppend<string, JsonValue>, 'type' | 'data' | 'schemaVersion' | 'headers'>[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<void>;
  /** A durable deadline: after `afterMs` the reaction's `onTimer` runs with `payload` — also after a restart. */
  schedule(afterMs: number, payload: JsonValue): Promise<void>;
}

export interface Reaction<TEvent extends { type: string; data: unknown } = RecordedEvent> {
  /** Unique within its reactor. */
  readonly name: string;
  /** Event types (X) this reaction handles. */
  readonly on: readonly TEvent['type'][];
  /** Y: handle one event. Throw a retryable EventfoldError to have the reactor try again later. */
  handle(event: TEvent & RecordedEvent, context: ReactionContext): Promise<void> | void;
  /** A deadline scheduled by `context.schedule` came due. */
  onTimer?(payload: JsonValue, context: ReactionContext): Promise<void> | void;
}

/**
 * @example
 * const chargeOnOrder = defineReaction<OrderPlaced>({ name: 'ChargeOnOrderPlaced', on: ['OrderPlaced'],
 *   handle: (e) => payments.handle(e.data.orderId, { type: 'ChargePayment', data: e.data }) });
 */
export function defineReaction<TEvent extends { type: string; data: unknown }>(reaction: Reaction<TEvent>): Reaction<TEvent> {
  if (typeof reaction.name !== 'string' || reaction.name.length === 0 || reaction.name.length > 100) {
    throw new InvalidInputError('reaction.name', 'must be a non-empty name of at most 100 characters.');
  }
  if (!Array.isArray(reaction.on) || reaction.on.length === 0 || reaction.on.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new InvalidInputError('reaction.on', 'must list the event types it reacts to, e.g. ["OrderPlaced"].');
  }
  if (typeof reaction.handle !== 'function') throw new InvalidInputError('reaction.handle', 'must be a function.');
  return reaction;
}
