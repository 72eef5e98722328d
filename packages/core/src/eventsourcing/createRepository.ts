/**
 * Command handling for one aggregate type: load (snapshot + events) → decide → append with the
 * expected version. A concurrency conflict reloads and decides again, up to `maxAttempts`.
 * Optionally the states of recently used aggregates stay in memory between commands (`cacheSize`).
 */

import { currentMessageContext } from '../cqrs/messageContext.js';
import type { EventToAppend, GlobalPosition, Headers, RecordedEvent } from '../envelope.js';
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
  /**
   * Keep the state and version of up to this many recently used aggregates in memory (least recently
   * used out first). A command then decides on the kept state and appends expecting the kept version:
   * if anyone else moved the stream meanwhile, the store refuses the append, the entry is dropped and
   * the retry loads from the store — a decision never rests on a stale state. `load()` asks the store
   * for events after the kept version (usually none) instead of replaying the stream. Default 0 (off).
   */
  cacheSize?: number;
}

export interface HandleOptions {
  /** Refuse unless the stream is at this version (no retry then: the caller asked for that version). */
  expectedVersion?: ExpectedVersion;
  /**
   * The caller expects the stream not to exist yet (a command that creates the aggregate under a fresh
   * id): the first attempt decides on the initial state without reading the store and appends expecting
   * no stream. If the stream exists after all, the store refuses and the retry loads it as usual.
   */
  assumeNew?: boolean;
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
  const cacheSize = options.cacheSize ?? 0;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new InvalidInputError('cacheSize', 'must be a whole number ≥ 0 (0 keeps nothing).');
  const prefix = decider.name.toLowerCase();
  const streamIdOf = options.streamId ?? ((id: string) => `${prefix}-${id}`);
  const cache = createStateCache<LoadedAggregate<TState>>(cacheSize);

  const loadFromStore = async (streamId: string, loadOptions: { toVersion?: number; asOf?: Date } = {}) => {
    const loaded = await loadAggregate(store, streamId, decider, { upcasters, ...(snapshots ? { snapshots } : {}), ...loadOptions });
    if (loadOptions.toVersion === undefined && loadOptions.asOf === undefined) cache.set(streamId, loaded);
    return loaded;
  };

  const load = async (id: string, loadOptions: { toVersion?: number; asOf?: Date } = {}): Promise<LoadedAggregate<TState>> => {
    const streamId = streamIdOf(id);
    const kept = loadOptions.toVersion === undefined && loadOptions.asOf === undefined ? cache.get(streamId) : undefined;
    if (kept === undefined) return loadFromStore(streamId, loadOptions);
    // Another writer may have appended since: fold in what came after the kept version.
    const newer = await store.readStream(streamId, { fromVersion: kept.version + 1 });
    if (newer.length === 0) return kept;
    let state = kept.state;
    for (const raw of newer) state = decider.evolve(state, upcasters.upcast(raw) as RecordedEvent & TEvent);
    const caughtUp = { ...kept, state, version: (newer[newer.length - 1] as RecordedEvent).streamPosition, replayed: newer.length };
    cache.set(streamId, caughtUp);
    return caughtUp;
  };

  async function handleOnce(id: string, command: TCommand, handleOptions: HandleOptions, attempts: number): Promise<HandleResult<TState, TEvent>> {
    const streamId = streamIdOf(id);
    // The kept state is trusted only on a first attempt without an explicit expected version: the
    // append's expected version checks it; a conflict drops it and the retry loads from the store.
    const kept = attempts === 1 && handleOptions.expectedVersion === undefined ? cache.get(streamId) : undefined;
    const assumed =
      kept === undefined && attempts === 1 && handleOptions.assumeNew === true && handleOptions.expectedVersion === undefined
        ? { state: decider.initialState(), version: 0, snapshotVersion: 0, replayed: 0 }
        : undefined;
    let loaded = kept ?? assumed ?? (await loadFromStore(streamId));
    let events = toEventList(decider.decide(command, loaded.state));
    if (events.length === 0 && assumed !== undefined) {
      // "Nothing to do" on an assumed state says nothing about the real one: decide on the stream.
      loaded = await loadFromStore(streamId);
      events = toEventList(decider.decide(command, loaded.state));
    }
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
    let appended: Awaited<ReturnType<EventStore['appendToStream']>>;
    try {
      appended = await store.appendToStream(streamId, toAppend, { expectedVersion });
    } catch (error) {
      cache.delete(streamId);
      throw error;
    }
    const state = fold(decider, loaded.state, events);
    let snapshotVersion = loaded.snapshotVersion;
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
      snapshotVersion = appended.nextExpectedVersion;
    }
    // An idempotent retry acknowledged as already stored says nothing certain about the state: forget it.
    if (appended.alreadyStored) cache.delete(streamId);
    else cache.set(streamId, { state, version: appended.nextExpectedVersion, snapshotVersion, replayed: 0 });
    return { events, state, nextExpectedVersion: appended.nextExpectedVersion, globalPosition: appended.globalPosition, attempts };
  }

  return {
    streamIdOf,
    load,
    async handle(id, command, handleOptions = {}) {
      // An assumption of a new stream proved wrong costs one attempt, whatever maxAttempts says.
      const retry = handleOptions.expectedVersion === undefined ? (handleOptions.assumeNew ? Math.max(maxAttempts, 2) : maxAttempts) : 1;
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

/** A least-recently-used map of aggregate states by stream id; size 0 keeps nothing. */
function createStateCache<T>(size: number) {
  const entries = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      const entry = entries.get(key);
      if (entry !== undefined) {
        // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
        entries.delete(key);
        entries.set(key, entry);
      }
      return entry;
    },
    set(key: string, entry: T): void {
      if (size === 0) return;
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > size) entries.delete(entries.keys().next().value as string);
    },
    delete(key: string): void {
      entries.delete(key);
    },
  };
}
