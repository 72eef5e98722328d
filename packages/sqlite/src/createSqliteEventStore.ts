/**
 * The embedded event store on SQLite (better-sqlite3). Appends run in IMMEDIATE transactions, so a
 * global position is assigned and committed under the one write lock: the log is gap-free by
 * construction and `global_position > checkpoint` never skips a commit. Other processes sharing
 * the file see new events by polling; this process's subscribers are woken at once.
 */
import {
  type AppendLimits,
  type AppendOptions,
  type AppendResult,
  assertCheckpointName,
  assertPosition,
  assertReadAllOptions,
  assertReadStreamOptions,
  assertSnapshot,
  assertStreamId,
  CheckpointConflictError,
  type CheckpointStore,
  type Clock,
  ConcurrencyError,
  createCatchUpSubscription,
  createNotifier,
  DuplicateEventError,
  EventfoldError,
  type EventStore,
  type EventToAppend,
  type FoldableEvent,
  type GlobalPosition,
  InvalidInputError,
  type JsonValue,
  matchesExpectedVersion,
  type PreparedAppend,
  prepareAppend,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SnapshotStore,
  START,
  systemClock,
} from '@eventfold/core';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { type BackgroundCheckpoint, startBackgroundCheckpoint } from './internal/backgroundCheckpoint.js';
import { createGroupCommit } from './internal/groupCommit.js';
import { migrate } from './internal/migrations.js';
import { RecentEvents } from './internal/recentEvents.js';
import { EVENT_COLUMNS, type EventRow, FOLD_COLUMNS, type FoldRow, toFoldableEvent, toRecordedEvent } from './internal/rows.js';

export interface SqliteEventStoreOptions extends AppendLimits {
  /** A file path, or ':memory:'. Ignored when `database` is given. */
  path?: string;
  /** An open better-sqlite3 connection to use instead of opening `path`; the store will not close it. */
  database?: Database;
  clock?: Clock;
  /** How long a writer waits for another process's write lock before failing, in ms. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * How many of the events this store object appended it keeps in memory, so `readAll` readers that
   * follow the head (relay, projections, consumers) get them without a query. Default 10,000; 0 turns it off.
   */
  recentEvents?: number;
  /**
   * Checkpoint the WAL on a worker thread (its own connection, a PASSIVE checkpoint every `intervalMs`)
   * instead of inline in the commit that crosses 1,000 WAL pages. Default: on, every 25 ms, when the
   * store opens a file itself; `false` leaves SQLite's own automatic checkpoints.
   */
  backgroundCheckpoint?: boolean | { intervalMs?: number };
}

/** Synchronous operations inside one SQLite transaction, for writes that must commit together. */
export interface SqliteTransaction {
  readonly db: Database;
  appendToStream(streamId: string, events: readonly EventToAppend<string, unknown>[], options?: AppendOptions): AppendResult;
  loadCheckpoint(name: string): GlobalPosition | undefined;
  storeCheckpoint(name: string, position: GlobalPosition, options?: { expected?: GlobalPosition | null }): void;
}

export interface SqliteEventStore extends EventStore {
  readonly db: Database;
  /** Runs `fn` in one IMMEDIATE transaction: all its writes commit together or not at all. */
  transaction<T>(fn: (tx: SqliteTransaction) => T): T;
  /**
   * Runs `fn` like `transaction`, but in the next group commit: one transaction shared with the
   * appends and writes queued in this turn of the event loop, `fn` in a savepoint of its own (when it
   * throws, only its writes are undone). Resolves once that transaction committed.
   */
  write<T>(fn: (tx: SqliteTransaction) => T): Promise<T>;
  /** Calls `listener` after each commit of new events through this store object (a relay wakes on it); returns the unsubscribe. */
  onAppend(listener: () => void): () => void;
}

function isSqliteError(error: unknown, code: string): boolean {
  return (
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith(code)
  );
}

function translate(error: unknown): unknown {
  if (error instanceof EventfoldError) return error;
  if (isSqliteError(error, 'SQLITE_BUSY') || isSqliteError(error, 'SQLITE_LOCKED')) {
    return new EventfoldError(
      'EVENTFOLD_STORE_UNAVAILABLE',
      'The SQLite database stayed locked by another writer past busyTimeoutMs; retry, or raise busyTimeoutMs.',
      {
        retryable: true,
        cause: error,
      },
    );
  }
  return error;
}

export function createSqliteEventStore(options: SqliteEventStoreOptions = {}): SqliteEventStore {
  const clock = options.clock ?? systemClock;
  const ownsDatabase = options.database === undefined;
  const checkpointEveryMs = (typeof options.backgroundCheckpoint === 'object' ? options.backgroundCheckpoint.intervalMs : undefined) ?? 25;
  if (!Number.isSafeInteger(checkpointEveryMs) || checkpointEveryMs < 1) {
    throw new InvalidInputError('backgroundCheckpoint.intervalMs', 'must be a whole number of ms ≥ 1.');
  }
  const db = options.database ?? new BetterSqlite3(options.path ?? ':memory:');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  if (db.name !== ':memory:' && ownsDatabase) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  migrate(db);
  let checkpointer: BackgroundCheckpoint | undefined;
  if (ownsDatabase && db.name !== ':memory:' && options.backgroundCheckpoint !== false) {
    checkpointer = startBackgroundCheckpoint({
      path: db.name,
      intervalMs: checkpointEveryMs,
      // The worker gave up: checkpoints return to the committing connection at SQLite's default.
      onFailure: () => db.pragma('wal_autocheckpoint = 1000'),
    });
    // The safety net: should the worker fall behind, a commit checkpoints once the WAL is this long.
    db.pragma('wal_autocheckpoint = 4000');
    // After a checkpoint the WAL restarts at its beginning; a file grown past this is truncated.
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  }

  const notifier = createNotifier();
  const appendListeners = new Set<() => void>();
  const appended = () => {
    notifier.notify();
    for (const listener of appendListeners) listener();
  };
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_STORE_CLOSED', 'This event store has been closed; create a new one.');
  };

  const q = {
    version: db.prepare('SELECT coalesce(max(stream_position), 0) AS v FROM eventfold_events WHERE stream_id = ?').pluck(),
    insert: db.prepare(
      'INSERT INTO eventfold_events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    byEventId: db.prepare('SELECT stream_id, stream_position, global_position FROM eventfold_events WHERE event_id = ?'),
    readAll: db.prepare(`SELECT ${EVENT_COLUMNS} FROM eventfold_events WHERE global_position > ? ORDER BY global_position LIMIT ?`),
    head: db.prepare('SELECT coalesce(max(global_position), 0) FROM eventfold_events').pluck(),
    loadSnapshot: db.prepare('SELECT stream_id, stream_version, state_version, state, created_at FROM eventfold_snapshots WHERE stream_id = ?'),
    saveSnapshot: db.prepare(
      `INSERT INTO eventfold_snapshots (stream_id, stream_version, state_version, state, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET stream_version = excluded.stream_version, state_version = excluded.state_version,
         state = excluded.state, created_at = excluded.created_at
       WHERE excluded.stream_version >= eventfold_snapshots.stream_version`,
    ),
    deleteSnapshot: db.prepare('DELETE FROM eventfold_snapshots WHERE stream_id = ?'),
    loadCheckpoint: db.prepare('SELECT position FROM eventfold_checkpoints WHERE name = ?').pluck(),
    storeCheckpoint: db.prepare(
      'INSERT INTO eventfold_checkpoints (name, position, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at',
    ),
    deleteCheckpoint: db.prepare('DELETE FROM eventfold_checkpoints WHERE name = ?'),
  };

  /** Checks whether a batch that hit the event-id constraint was entirely stored before (an idempotent retry). */
  function alreadyStored(streamId: string, eventIds: string[]): AppendResult {
    const rows = eventIds.map((id) => q.byEventId.get(id) as { stream_id: string; stream_position: number; global_position: number } | undefined);
    const found = rows.filter((r) => r !== undefined);
    if (found.length === eventIds.length && found.every((r) => r.stream_id === streamId)) {
      const last = found.reduce((a, b) => (a.global_position > b.global_position ? a : b));
      return { streamId, nextExpectedVersion: last.stream_position, globalPosition: BigInt(last.global_position), alreadyStored: true };
    }
    throw new DuplicateEventError(
      streamId,
      eventIds.filter((_, i) => rows[i] !== undefined),
    );
  }

  /** What the last append prepared (group commit keeps it for the recent-events cache). */
  let lastPrepared: PreparedAppend | undefined;
  const appendInTransaction = db.transaction((streamId: string, events: readonly EventToAppend<string, unknown>[], opts: AppendOptions): AppendResult => {
    const prepared = prepareAppend(streamId, events, opts.expectedVersion === undefined ? 'any' : opts.expectedVersion, clock, options);
    lastPrepared = prepared;
    const current = q.version.get(streamId) as number;
    if (!matchesExpectedVersion(prepared.expectedVersion, current)) {
      // A retried append of stored events is acknowledged, whatever version it expected.
      const first = prepared.events[0];
      if (first && q.byEventId.get(first.eventId))
        return alreadyStored(
          streamId,
          prepared.events.map((e) => e.eventId),
        );
      throw new ConcurrencyError(streamId, prepared.expectedVersion, current);
    }
    const occurredAt = prepared.occurredAt.getTime();
    let position = 0;
    try {
      prepared.events.forEach((e, i) => {
        position = Number(q.insert.run(streamId, current + i + 1, e.eventId, e.type, e.schemaVersion, e.data, e.metadata, occurredAt).lastInsertRowid);
      });
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT') && String((error as Error).message).includes('event_id')) {
        throw new DuplicateBatch(prepared.events.map((e) => e.eventId));
      }
      throw error;
    }
    return { streamId, nextExpectedVersion: current + prepared.events.length, globalPosition: BigInt(position), alreadyStored: false };
  });

  class DuplicateBatch extends Error {
    constructor(readonly eventIds: string[]) {
      super('duplicate batch');
    }
  }

  function appendSync(streamId: string, events: readonly EventToAppend<string, unknown>[], opts: AppendOptions = {}): AppendResult {
    ensureOpen();
    try {
      // .immediate takes the write lock up front, so version check and insert cannot interleave with another process.
      return db.inTransaction ? appendInTransaction(streamId, events, opts) : appendInTransaction.immediate(streamId, events, opts);
    } catch (error) {
      if (error instanceof DuplicateBatch) return alreadyStored(streamId, error.eventIds);
      throw translate(error);
    }
  }

  const recent = new RecentEvents(options.recentEvents ?? 10_000);
  const group = createGroupCommit({
    db,
    closedError: () => (closed ? new EventfoldError('EVENTFOLD_STORE_CLOSED', 'This event store has been closed; create a new one.') : undefined),
    afterCommit: () => appended(),
  });

  async function groupAppend(streamId: string, events: readonly EventToAppend<string, unknown>[], opts: AppendOptions): Promise<AppendResult> {
    let prepared: PreparedAppend | undefined;
    try {
      return await group.write({
        run() {
          lastPrepared = undefined;
          try {
            return appendInTransaction(streamId, events, opts);
          } finally {
            // Set by the append as it ran (TypeScript cannot see that through the call).
            prepared = lastPrepared as PreparedAppend | undefined;
          }
        },
        committed(result) {
          if (result.alreadyStored || prepared === undefined) return;
          // One append's rows get consecutive positions: it inserts them one after another under the write lock.
          const n = prepared.events.length;
          const last = Number(result.globalPosition);
          recent.add(
            streamId,
            result.nextExpectedVersion - n + 1,
            prepared.events,
            prepared.events.map((_, i) => last - n + 1 + i),
            prepared.occurredAt,
          );
        },
      });
    } catch (error) {
      if (error instanceof DuplicateBatch) return alreadyStored(streamId, error.eventIds);
      throw translate(error);
    }
  }

  // At most 32 shapes (4 optional conditions x 2 directions x full/lean columns): prepare each once.
  const readStreamStatements = new Map<string, Statement>();

  function readStreamSync(streamId: string, opts: ReadStreamOptions): RecordedEvent[] {
    return (streamStatement(EVENT_COLUMNS, streamId, opts) as EventRow[]).map(toRecordedEvent);
  }

  function readStreamForFoldSync(streamId: string, opts: ReadStreamOptions): FoldableEvent[] {
    return (streamStatement(FOLD_COLUMNS, streamId, opts) as FoldRow[]).map(toFoldableEvent);
  }

  function streamStatement(columns: string, streamId: string, opts: ReadStreamOptions): unknown[] {
    const conditions = ['stream_id = ?'];
    const params: unknown[] = [streamId];
    if (opts.fromVersion !== undefined) {
      conditions.push('stream_position >= ?');
      params.push(opts.fromVersion);
    }
    if (opts.toVersion !== undefined) {
      conditions.push('stream_position <= ?');
      params.push(opts.toVersion);
    }
    if (opts.asOf !== undefined) {
      conditions.push('occurred_at <= ?');
      params.push(opts.asOf.getTime());
    }
    params.push(opts.maxCount ?? -1);
    const order = opts.direction === 'backwards' ? 'DESC' : 'ASC';
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql = `SELECT ${columns} FROM eventfold_events WHERE ${conditions.join(' AND ')} ORDER BY stream_position ${order} LIMIT ?`;
    let statement = readStreamStatements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      readStreamStatements.set(sql, statement);
    }
    return statement.all(...params);
  }

  function readAllSync(opts: ReadAllOptions): RecordedEvent[] {
    const after = opts.after ?? START;
    if (after > BigInt(Number.MAX_SAFE_INTEGER)) return [];
    const cached = recent.read(Number(after), opts.maxCount ?? 1000);
    if (cached !== undefined) return cached;
    return (q.readAll.all(Number(after), opts.maxCount ?? 1000) as EventRow[]).map(toRecordedEvent);
  }

  function loadCheckpointSync(name: string): GlobalPosition | undefined {
    assertCheckpointName(name);
    const text = q.loadCheckpoint.get(name) as string | undefined;
    return text === undefined ? undefined : BigInt(text);
  }

  const storeCheckpointTx = db.transaction((name: string, position: GlobalPosition, expected: GlobalPosition | null | undefined) => {
    if (expected !== undefined) {
      const current = loadCheckpointSync(name) ?? null;
      if (current !== expected) throw new CheckpointConflictError(name, expected, current);
    }
    q.storeCheckpoint.run(name, position.toString(), clock.now().getTime());
  });

  function storeCheckpointSync(name: string, position: GlobalPosition, opts: { expected?: GlobalPosition | null } = {}): void {
    assertCheckpointName(name);
    assertPosition(position);
    if (opts.expected !== undefined && opts.expected !== null) assertPosition(opts.expected, 'expected');
    try {
      if (db.inTransaction) storeCheckpointTx(name, position, opts.expected);
      else storeCheckpointTx.immediate(name, position, opts.expected);
    } catch (error) {
      throw translate(error);
    }
  }

  async function readAll(opts: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    ensureOpen();
    assertReadAllOptions(opts);
    return readAllSync(opts);
  }

  const snapshots: SnapshotStore = {
    async save(snapshot) {
      ensureOpen();
      assertSnapshot(snapshot);
      const state = JSON.stringify(snapshot.state);
      try {
        await group.write({ run: () => q.saveSnapshot.run(snapshot.streamId, snapshot.streamVersion, snapshot.stateVersion, state, clock.now().getTime()) });
      } catch (error) {
        throw translate(error);
      }
    },
    async load(streamId) {
      ensureOpen();
      const row = q.loadSnapshot.get(streamId) as
        | { stream_id: string; stream_version: number; state_version: number; state: string; created_at: number }
        | undefined;
      if (!row) return undefined;
      return {
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        stateVersion: row.state_version,
        state: JSON.parse(row.state) as JsonValue,
        createdAt: new Date(row.created_at),
      };
    },
    async delete(streamId) {
      ensureOpen();
      q.deleteSnapshot.run(streamId);
    },
  };

  const checkpoints: CheckpointStore = {
    async load(name) {
      ensureOpen();
      return loadCheckpointSync(name);
    },
    async store(name, position, opts) {
      ensureOpen();
      assertCheckpointName(name);
      assertPosition(position);
      await group.write({ run: () => storeCheckpointSync(name, position, opts) });
    },
    async delete(name) {
      ensureOpen();
      assertCheckpointName(name);
      q.deleteCheckpoint.run(name);
    },
  };

  const runTransaction = db.transaction(
    <T>(fn: (tx: SqliteTransaction) => T): T =>
      fn({ db, appendToStream: appendSync, loadCheckpoint: loadCheckpointSync, storeCheckpoint: storeCheckpointSync }),
  );

  return {
    db,
    async appendToStream(streamId, events, opts) {
      ensureOpen();
      if (!db.inTransaction) return groupAppend(streamId, events, opts ?? {});
      // Called from inside a caller's transaction: it commits (or rolls back) with it.
      const result = appendSync(streamId, events, opts);
      if (!result.alreadyStored) appended();
      return result;
    },
    async readStream(streamId, opts = {}) {
      ensureOpen();
      assertStreamId(streamId);
      assertReadStreamOptions(opts);
      return readStreamSync(streamId, opts);
    },
    async readStreamForFold(streamId, opts = {}) {
      ensureOpen();
      assertStreamId(streamId);
      assertReadStreamOptions(opts);
      return readStreamForFoldSync(streamId, opts);
    },
    async streamVersion(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      return q.version.get(streamId) as number;
    },
    readAll,
    async headPosition() {
      ensureOpen();
      return BigInt(q.head.get() as number);
    },
    subscribe(subscribeOptions) {
      ensureOpen();
      return createCatchUpSubscription(readAll, notifier, subscribeOptions);
    },
    snapshots,
    checkpoints,
    onAppend(listener) {
      appendListeners.add(listener);
      return () => appendListeners.delete(listener);
    },
    async write(fn) {
      ensureOpen();
      try {
        return await group.write({
          run: () => fn({ db, appendToStream: appendSync, loadCheckpoint: loadCheckpointSync, storeCheckpoint: storeCheckpointSync }),
        });
      } catch (error) {
        throw translate(error);
      }
    },
    transaction(fn) {
      ensureOpen();
      try {
        const result = db.inTransaction ? runTransaction(fn) : runTransaction.immediate(fn);
        appended();
        return result as ReturnType<typeof fn>;
      } catch (error) {
        throw translate(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      recent.clear();
      notifier.notify();
      // The worker's connection first: the last connection to close checkpoints and removes the WAL.
      await checkpointer?.stop();
      if (ownsDatabase) db.close();
    },
  };
}
