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

/** What a command's events carry of the message it came from. */
export type EventMetadataOptions = Pick<HandleOptions, 'correlationId' | 'causationId' | 'headers'>;

/**
 * The metadata a command's events carry: what `options` names, else the message being handled
 * (`currentMessageContext()`: its correlation id, and its id as the cause). Only defined fields, so
 * the result can be kept and passed on as options from another async context.
 */
export function eventMetadata(options: EventMetadataOptions = {}): EventMetadataOptions {
  const context = currentMessageContext();
  const meta: EventMetadataOptions = {};
  const correlationId = options.correlationId ?? context?.correlationId;
  const causationId = options.causationId ?? context?.messageId;
  const headers = options.headers ?? context?.headers;
  if (correlationId !== undefined) meta.correlationId = correlationId;
  if (causationId !== undefined) meta.causationId = causationId;
  if (headers !== undefined) meta.headers = headers;
  return meta;
}

/** One command of `handleMany`, with the metadata its events carry (the message it came from). */
export interface BatchedCommand<TCommand> extends EventMetadataOptions {
  command: TCommand;
}

/** How one command of `handleMany` ended: its own result, or the error its decider threw. */
export type BatchedResult<TState, TEvent> = { ok: true; result: HandleResult<TState, TEvent> } | { ok: false; error: unknown };

export interface Repository<TState, TCommand extends Command, TEvent extends DomainEvent> {
  readonly streamIdOf: (id: string) => string;
  /** Current state, or as of a version / instant. */
  load(id: string, options?: { toVersion?: number; asOf?: Date }): Promise<LoadedAggregate<TState>>;
  handle(id: string, command: TCommand, options?: HandleOptions): Promise<HandleResult<TState, TEvent>>;
  /**
   * Decides several commands on one aggregate, in order, each on the state the ones before it left,
   * and appends all their events in one append (one round trip, one expected-version check) — for a
   * hot aggregate whose commands queue up. A command its decider refuses settles with that error and
   * adds nothing; the others still apply. A concurrency conflict decides them all again on the stored
   * state (up to `maxAttempts`); any other append error fails every command that was not refused.
   * Each result's `globalPosition` is that of the batch's last event (at or after the command's own).
   */
  handleMany(id: string, commands: readonly BatchedCommand<TCommand>[]): Promise<BatchedResult<TState, TEvent>[]>;
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
    const meta = eventMetadata(handleOptions);
    if (handleOptions.expectedVersion !== undefined && typeof handleOptions.expectedVersion === 'number' && handleOptions.expectedVersion !== loaded.version) {
      throw new ConcurrencyError(streamId, handleOptions.expectedVersion, loaded.version);
    }
    const state = fold(decider, loaded.state, events);
    const appended = await appendDecided(
      streamId,
      loaded,
      state,
      events.map((event) => toAppendOf(event, meta)),
      handleOptions.expectedVersion,
    );
    return { events, state, nextExpectedVersion: appended.nextExpectedVersion, globalPosition: appended.globalPosition, attempts };
  }

  function toAppendOf(e: TEvent, meta: EventMetadataOptions): EventToAppend<string, unknown> {
    const { correlationId, causationId, headers } = meta;
    return {
      type: e.type,
      data: e.data,
      schemaVersion: e.schemaVersion ?? upcasters.currentVersion(e.type),
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(causationId !== undefined ? { causationId } : {}),
      ...((e.headers ?? headers) ? { headers: { ...headers, ...e.headers } } : {}),
    };
  }

  /** Appends decided events expecting the loaded version, then snapshots and keeps the new state. */
  async function appendDecided(
    streamId: string,
    loaded: LoadedAggregate<TState>,
    state: TState,
    toAppend: EventToAppend<string, unknown>[],
    expected: ExpectedVersion | undefined,
  ): Promise<Awaited<ReturnType<EventStore['appendToStream']>>> {
    const expectedVersion = expected ?? (loaded.version === 0 ? 'no_stream' : loaded.version);
    let appended: Awaited<ReturnType<EventStore['appendToStream']>>;
    try {
      appended = await store.appendToStream(streamId, toAppend, { expectedVersion });
    } catch (error) {
      cache.delete(streamId);
      throw error;
    }
    let snapshotVersion = loaded.snapshotVersion;
    if (
      snapshots?.shouldSnapshot({
        state,
        version: appended.nextExpectedVersion,
        snapshotVersion: loaded.snapshotVersion,
        newEventTypes: toAppend.map((e) => e.type),
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
    return appended;
  }

  async function handleManyOnce(id: string, commands: readonly BatchedCommand<TCommand>[], attempts: number): Promise<BatchedResult<TState, TEvent>[]> {
    const streamId = streamIdOf(id);
    const loaded = (attempts === 1 ? cache.get(streamId) : undefined) ?? (await loadFromStore(streamId));
    let state = loaded.state;
    let version = loaded.version;
    const decided: ({ events: TEvent[]; state: TState; version: number } | { error: unknown })[] = [];
    const toAppend: EventToAppend<string, unknown>[] = [];
    for (const { command, ...meta } of commands) {
      let events: TEvent[];
      try {
        events = toEventList(decider.decide(command, state));
      } catch (error) {
        decided.push({ error });
        continue;
      }
      state = fold(decider, state, events);
      version += events.length;
      decided.push({ events, state, version });
      for (const event of events) toAppend.push(toAppendOf(event, meta));
    }
    let appended: Awaited<ReturnType<EventStore['appendToStream']>> | undefined;
    try {
      appended = toAppend.length === 0 ? undefined : await appendDecided(streamId, loaded, state, toAppend, undefined);
    } catch (error) {
      if (isEventfoldError(error, 'EVENTFOLD_CONCURRENCY')) throw error; // decided again on the stored state
      return decided.map((d): BatchedResult<TState, TEvent> => ({ ok: false, error: 'error' in d ? d.error : error }));
    }
    return decided.map((d): BatchedResult<TState, TEvent> => {
      if ('error' in d) return { ok: false, error: d.error };
      const globalPosition = d.events.length > 0 ? appended?.globalPosition : undefined;
      return { ok: true, result: { events: d.events, state: d.state, nextExpectedVersion: d.version, globalPosition, attempts } };
    });
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
    async handleMany(id, commands) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await handleManyOnce(id, commands, attempt);
        } catch (error) {
          // A conflict is decided again; a failed load, or conflicts past maxAttempts, fail every command.
          if (attempt < maxAttempts && isEventfoldError(error, 'EVENTFOLD_CONCURRENCY')) continue;
          return commands.map((): BatchedResult<TState, TEvent> => ({ ok: false, error }));
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
