/**
 * The EventStore interface every store implements (memory, SQLite, PostgreSQL). The shared
 * conformance suite in `@eventfold/core/testing` defines what each method must do.
 */
import type { EventToAppend, GlobalPosition, JsonValue, RecordedEvent } from './envelope.js';
import type { ExpectedVersion } from './expectedVersion.js';
import type { SubscribeOptions, Subscription } from './subscription.js';

export interface AppendOptions {
  /** Default `'any'`. */
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
  /** Global position of the last event appended. */
  globalPosition: GlobalPosition;
  /** True when every event was already stored (a retried append); nothing new was written. */
  alreadyStored: boolean;
}

export interface ReadStreamOptions {
  /** Default `'forwards'`. */
  direction?: 'forwards' | 'backwards';
  /** Lowest stream position to include (inclusive, ≥ 1). */
  fromVersion?: number;
  /** Highest stream position to include (inclusive). */
  toVersion?: number;
  /** At most this many events, counted in the reading direction. */
  maxCount?: number;
  /** Only events that had occurred at this instant (occurredAt ≤ asOf). */
  asOf?: Date;
}

/** What a fold needs of a stored event; the aggregate load path reads only this. */
export type FoldableEvent = Pick<RecordedEvent, 'type' | 'schemaVersion' | 'data' | 'streamPosition'>;

export interface ReadAllOptions {
  /** Return events strictly after this position. Default: the start of the log. */
  after?: GlobalPosition;
  /** Default 1,000. */
  maxCount?: number;
}

/**
 * A store that filters the log by type in the database (the PostgreSQL store's `readAllOfTypes`).
 * `scannedTo` is how far the read looked: no event of those types lies between the last one returned
 * and it (it is final there), so a reader may start its next read after it.
 */
export interface TypedLogReader {
  readAllOfTypes(options: ReadAllOptions & { types: readonly string[] }): Promise<{ events: RecordedEvent[]; scannedTo: GlobalPosition }>;
}

export interface Snapshot<TState = JsonValue> {
  streamId: string;
  /** The stream version the state reflects. */
  streamVersion: number;
  /** Version of the state's shape; a loader ignores a snapshot whose shape it does not know. */
  stateVersion: number;
  state: TState;
  createdAt: Date;
}

export interface SnapshotStore {
  /** Keeps the newest snapshot per stream; saving an older streamVersion than stored changes nothing. */
  save(snapshot: Omit<Snapshot, 'createdAt'>): Promise<void>;
  load(streamId: string): Promise<Snapshot | undefined>;
  delete(streamId: string): Promise<void>;
}

export interface CheckpointStoreOptions {
  /**
   * Compare-and-set: store only if the current checkpoint equals this (`null` = none stored yet);
   * otherwise throw a CheckpointConflictError. Guards against two runners of one subscriber.
   */
  expected?: GlobalPosition | null;
}

export interface CheckpointStore {
  load(name: string): Promise<GlobalPosition | undefined>;
  store(name: string, position: GlobalPosition, options?: CheckpointStoreOptions): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface EventStore {
  appendToStream(streamId: string, events: readonly EventToAppend<string, unknown>[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Optional lean read for folds (used by loadAggregate): the same events in the same order as
   * `readStream` with the same options, but only type, schemaVersion, data and streamPosition — no
   * ids, global positions, times or metadata to fetch and map. Without it, loaders use `readStream`.
   * A wrapper that transforms what `readStream` returns must transform (or hide) this too.
   */
  readStreamForFold?(streamId: string, options?: ReadStreamOptions): Promise<FoldableEvent[]>;
  /** The stream's current version; 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  /** Events in global order after a checkpoint; only events that can never be preceded by a later commit. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event readAll can return now (START when empty). */
  headPosition(): Promise<GlobalPosition>;
  /** Catch-up subscription that switches to live delivery; never skips a committed event. */
  subscribe(options: SubscribeOptions): Subscription;
  readonly snapshots: SnapshotStore;
  readonly checkpoints: CheckpointStore;
  close(): Promise<void>;
}
