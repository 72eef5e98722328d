/**
 * When to take a snapshot and how state maps to the stored JSON. A snapshot carries `stateVersion`
 * (the version of the state's shape); a loader that meets any other version ignores the snapshot
 * and replays the stream, so a changed state shape is never misread.
 */
import type { JsonValue } from '../envelope.js';
import { InvalidInputError } from '../errors.js';

export interface SnapshotDecision<TState> {
  state: TState;
  /** Stream version the state reflects after the append. */
  version: number;
  /** Stream version of the snapshot the state was loaded from (0 without one). */
  snapshotVersion: number;
  /** Types of the events just appended. */
  newEventTypes: readonly string[];
}

export interface SnapshotOptions<TState> {
  /** Take a snapshot once this many events have passed since the last one… */
  everyEvents?: number;
  /** …or whenever this says so (both may be given; either triggers). */
  when?: (decision: SnapshotDecision<TState>) => boolean;
  /** Version of the state's shape. Bump it whenever the state type changes. */
  stateVersion: number;
  /** State → JSON. Default: the state itself (it must then be JSON already). */
  toSnapshot?: (state: TState) => JsonValue;
  /** JSON → state. Default: the JSON itself. */
  fromSnapshot?: (snapshot: JsonValue) => TState;
}

export interface SnapshotPolicy<TState> {
  readonly stateVersion: number;
  shouldSnapshot(decision: SnapshotDecision<TState>): boolean;
  toSnapshot(state: TState): JsonValue;
  fromSnapshot(snapshot: JsonValue): TState;
}

/**
 * @example
 * const snapshots = defineSnapshotPolicy<AccountState>({ everyEvents: 100, stateVersion: 1 });
 */
export function defineSnapshotPolicy<TState>(options: SnapshotOptions<TState>): SnapshotPolicy<TState> {
  const { everyEvents, when } = options;
  if (everyEvents === undefined && when === undefined) throw new InvalidInputError('snapshots', 'give everyEvents (e.g. 100) or a when(decision) predicate.');
  if (everyEvents !== undefined && (!Number.isSafeInteger(everyEvents) || everyEvents < 1)) {
    throw new InvalidInputError('snapshots.everyEvents', 'must be a whole number ≥ 1.');
  }
  if (!Number.isSafeInteger(options.stateVersion) || options.stateVersion < 1) {
    throw new InvalidInputError('snapshots.stateVersion', 'must be a whole number ≥ 1; bump it when the state shape changes.');
  }
  return {
    stateVersion: options.stateVersion,
    shouldSnapshot(decision) {
      // Crossing a multiple of N (not landing on it) so batches of several events still trigger.
      if (everyEvents !== undefined && Math.floor(decision.version / everyEvents) > Math.floor(decision.snapshotVersion / everyEvents)) return true;
      return when?.(decision) ?? false;
    },
    toSnapshot: options.toSnapshot ?? ((state) => state as unknown as JsonValue),
    fromSnapshot: options.fromSnapshot ?? ((snapshot) => snapshot as unknown as TState),
  };
}
