/**
 * Command handling for one aggregate type: load (snapshot + events) → decide → append with the
 * expected version. A concurrency conflict reloads and decides again, up to `maxAttempts`.
 */

import { currentMessageContext } from '../cqrs/messageContext.js';
import type { EventToAppend, GlobalPosition, Headers } from '../envelope.js';
import { ConcurrencyError, InvalidInputError, isEventfoldError } from '../errors.js';
import type { EventStore } from '../eventStore.js';
import type { ExpectedVersion } from '../expectedVersion.js';
import { type Command, type Decider, type DomainEvent, fold, toEventList } from './decider.js';
import { noUpcasters, type UpcasterRegistry } from './defineUpcasters.js';
import { type LoadedAggregate, loadAggregate } from './loadAggregate.js';
import type { SnapshotPolicy } from './snapshotPolicy.js';

export interface RepositoryOptions<TState, TCommand extends Command, TEvent extends DomainEvent> {
  store: EventStore;
  decider: Decider<TState, TCommand, TEvent>;
  /** Stream id for an aggregate id. Default: `${lowercase decider name}-${id}`. */
  streamId?: (id: string) => string;
  upcasters?: UpcasterRegistry;
  snapshots?: SnapshotPolicy<TState>;
  /** Attempts on a concurrency conflict, the first included. Default 3; 1 disables retry. */
  maxAttempts?: number;
}

export interface HandleOptions {
  /** Refuse unless the stream is at this version (no retry then: the caller asked for that version). */
  expectedVersion?: ExpectedVersion;
  /** Defaults come from the current message context (the command being dispatched). */
  correlationId?: string;
  causationId?: string;
  headers?: Headers;
}

export interface HandleResult<TState, TEvent> {
  /** Events appended (empty when the command changed nothing). */
  events: TEvent[];
  state: TState;
  /** The stream's version after the command. */
  nextExpectedVersion: number;
  /** Global position of the last appended event; undefined when nothing was appended. */
  globalPosition: GlobalPosition | undefined;
  attempts: number;
}

export interface Repository<TState, TCommand extends Command, TEvent extends DomainEvent> {
  readonly streamIdOf: (id: string) => string;
  /** Current state, or as of a version / instant. */
  load(id: string, options?: { toVersion?: number; asOf?: Date }): Promise<LoadedAggregate<TState>>;
  handle(id: string, command: TCommand, options?: HandleOptions): Promise<HandleResult<TState, TEvent>>;
}

/**
 * @example
 * const accounts = createRepository({ store, decider: accountDecider, snapshots: defineSnapshotPolicy({ everyEvents: 100, stateVersion: 1 }) });
 * const { nextExpectedVersion, globalPosition } = await accounts.handle('a1', { type: 'DepositMoney', data: { amount: 10 } });
 */
export function createRepository<TState, TCommand extends Command, TEvent extends DomainEvent>(
  options: RepositoryOptions<TState, TCommand, TEvent>,
): Repository<TState, TCommand, TEvent> {
  const { store, decider, snapshots } = options;
  const upcasters = options.upcasters ?? noUpcasters;
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new InvalidInputError('maxAttempts', 'must be a whole number ≥ 1.');
  const prefix = decider.name.toLowerCase();
  const streamIdOf = options.streamId ?? ((id: string) => `${prefix}-${id}`);

  const load = (id: string, loadOptions: { toVersion?: number; asOf?: Date } = {}) =>
    loadAggregate(store, streamIdOf(id), decider, { upcasters, ...(snapshots ? { snapshots } : {}), ...loadOptions });

  async function handleOnce(id: string, command: TCommand, handleOptions: HandleOptions, attempts: number): Promise<HandleResult<TState, TEvent>> {
    const streamId = streamIdOf(id);
    const loaded = await load(id);
    const events = toEventList(decider.decide(command, loaded.state));
    if (events.length === 0) {
      return { events, state: loaded.state, nextExpectedVersion: loaded.version, globalPosition: undefined, attempts };
    }
    const context = currentMessageContext();
    const correlationId = handleOptions.correlationId ?? context?.correlationId;
    const causationId = handleOptions.causationId ?? context?.messageId;
    const headers = handleOptions.headers ?? context?.headers;
    const toAppend = events.map(
      (e): EventToAppend<string, unknown> => ({
        type: e.type,
        data: e.data,
        schemaVersion: e.schemaVersion ?? upcasters.currentVersion(e.type),
        ...(correlationId !== undefined ? { correlationId } : {}),
        ...(causationId !== undefined ? { causationId } : {}),
        ...((e.headers ?? headers) ? { headers: { ...headers, ...e.headers } } : {}),
      }),
    );
    const expectedVersion = handleOptions.expectedVersion ?? (loaded.version === 0 ? 'no_stream' : loaded.version);
    if (handleOptions.expectedVersion !== undefined && typeof handleOptions.expectedVersion === 'number' && handleOptions.expectedVersion !== loaded.version) {
      throw new ConcurrencyError(streamId, handleOptions.expectedVersion, loaded.version);
    }
    const appended = await store.appendToStream(streamId, toAppend, { expectedVersion });
    const state = fold(decider, loaded.state, events);
    if (
      snapshots?.shouldSnapshot({
        state,
        version: appended.nextExpectedVersion,
        snapshotVersion: loaded.snapshotVersion,
        newEventTypes: events.map((e) => e.type),
      })
    ) {
      await store.snapshots.save({
        streamId,
        streamVersion: appended.nextExpectedVersion,
        stateVersion: snapshots.stateVersion,
        state: snapshots.toSnapshot(state),
      });
    }
    return { events, state, nextExpectedVersion: appended.nextExpectedVersion, globalPosition: appended.globalPosition, attempts };
  }

  return {
    streamIdOf,
    load,
    async handle(id, command, handleOptions = {}) {
      const retry = handleOptions.expectedVersion === undefined ? maxAttempts : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          return await handleOnce(id, command, handleOptions, attempt);
        } catch (error) {
          if (attempt >= retry || !isEventfoldError(error, 'EVENTFOLD_CONCURRENCY')) throw error;
        }
      }
    },
  };
}
