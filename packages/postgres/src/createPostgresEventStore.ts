/**
 * The event store on PostgreSQL (pg). Appends are one statement each (see internal/appendSql.ts), and
 * pooled appends started together share one statement and commit (internal/appendBatcher.ts); the global log is read in (transaction id, position) order and only below the oldest transaction
 * that may still append (internal/visibleHorizon.ts), so a subscriber never skips an event whose
 * transaction committed after a later-numbered one. Live delivery: in-process wake-ups plus short polling.
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
  createCatchUpSubscription,
  createNotifier,
  EventfoldError,
  type EventStore,
  type EventToAppend,
  type GlobalPosition,
  InvalidInputError,
  type JsonValue,
  prepareAppend,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SnapshotStore,
  START,
  type Subscription,
  systemClock,
} from '@eventfold/core';
import pg from 'pg';
import { type AppendContext, appendInTransaction, appendWithPool, type Queryable } from './internal/append.js';
import { createAppendBatcher } from './internal/appendBatcher.js';
import { appendStatements } from './internal/appendSql.js';
import { migrate } from './internal/migrations.js';
import { decodePosition, encodePosition } from './internal/position.js';
import { EVENT_COLUMNS, type EventRow, FOLD_COLUMNS, type FoldRow, toFoldableEvent, toRecordedEvent } from './internal/rows.js';
import { quoteSchema } from './internal/schemaName.js';
import { translateError } from './internal/translateError.js';
import { visibleHorizonCte } from './internal/visibleHorizon.js';

export interface PostgresEventStoreOptions extends AppendLimits {
  /** e.g. postgres://user@127.0.0.1:5432/db. Ignored when `pool` is given. Never logged. */
  connectionString?: string;
  /** A pool to use instead of creating one; the store will not end it. */
  pool?: pg.Pool;
  /** Connections in the store's own pool. Default 10. */
  maxConnections?: number;
  /** Schema holding the store's tables, created on start. Default 'eventfold'. */
  schema?: string;
  /**
   * Default true: appends started in one turn of the event loop (outside `transaction`) are written by
   * one statement and one commit, each with its own expectation and result (internal/appendBatcher.ts).
   * false: one statement and one commit per append.
   */
  groupAppends?: boolean;
  clock?: Clock;
}

/** Operations inside one PostgreSQL transaction: they commit together with the caller's own writes. */
export interface PostgresTransaction {
  /** The connection running the transaction (BEGIN … COMMIT); use it for your own writes. */
  readonly client: pg.PoolClient;
  appendToStream(streamId: string, events: readonly EventToAppend<string, unknown>[], options?: AppendOptions): Promise<AppendResult>;
  /** `forUpdate` locks the checkpoint row until the transaction ends (one runner at a time). */
  loadCheckpoint(name: string, options?: { forUpdate?: boolean }): Promise<GlobalPosition | undefined>;
  storeCheckpoint(name: string, position: GlobalPosition, options?: { expected?: GlobalPosition | null }): Promise<void>;
}

export interface PostgresTransactionOptions {
  /**
   * Default true. `false` declares a transaction that never appends (a projection's batch): the log's
   * readers then need not wait for it (see internal/visibleHorizon.ts), and `appendToStream` in it throws.
   */
  appends?: boolean;
}

/** `readAllOfTypes`: the events of some types after a position, and how far the log was examined. */
export interface TypedReadResult {
  /** Events whose type is listed, in log order (at most `maxCount`). */
  events: RecordedEvent[];
  /**
   * The log holds no event of the listed types between the read's `after` (or the last event returned)
   * and this position, and never will (it is below the horizon): the next read may start here.
   * Equals the last event's position when `maxCount` events came back.
   */
  scannedTo: GlobalPosition;
}

export interface PostgresEventStore extends EventStore {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>, options?: PostgresTransactionOptions): Promise<T>;
  /**
   * Like `readAll`, but only events whose type is in `types`, filtered in the database: a reader that
   * cares about a few types (a relay, a projection) neither receives nor parses the rest. Same order
   * and horizon as `readAll`; `scannedTo` lets it skip what it has examined.
   */
  readAllOfTypes(options: ReadAllOptions & { types: readonly string[] }): Promise<TypedReadResult>;
  /** Calls `listener` after each append committed through this store object (relays wake on it); returns the unsubscribe. */
  onAppend(listener: () => void): () => void;
}

/** Creates the store and runs its migrations. */
export async function createPostgresEventStore(options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
  const schema = options.schema ?? 'eventfold';
  const s = quoteSchema(schema);
  const clock = options.clock ?? systemClock;
  const ownsPool = options.pool === undefined;
  if (ownsPool && !options.connectionString) {
    throw new InvalidInputError('connectionString', 'is required when no pool is given, e.g. postgres://postgres@127.0.0.1:5432/postgres.');
  }
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  if (ownsPool) pool.on('error', () => undefined); // idle-client errors surface on the next query instead of crashing the process
  try {
    const client = await pool.connect();
    try {
      await migrate(client, s, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw translateError(error);
  }

  const ctx: AppendContext = { schema, quoted: s, statements: appendStatements(s), clock, limits: options };
  const notifier = createNotifier();
  const appendListeners = new Set<() => void>();
  const appended = () => {
    notifier.notify();
    for (const listener of appendListeners) listener();
  };
  const batcher = options.groupAppends === false ? undefined : createAppendBatcher(pool, ctx, appended);
  let eventsOid: string;
  try {
    eventsOid = (await pool.query<{ oid: string }>(`SELECT '${s}.events'::regclass::oid::text AS oid`)).rows[0]?.oid as string;
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw translateError(error);
  }
  const subscriptions = new Set<Subscription>();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_STORE_CLOSED', 'This event store has been closed; create a new one.');
  };
  const query = async <R extends pg.QueryResultRow>(db: Queryable, config: pg.QueryConfig): Promise<R[]> => {
    try {
      return (await db.query<R>(config)).rows;
    } catch (error) {
      throw translateError(error);
    }
  };

  const sql = {
    // Each read also returns one info row: the horizon it used (it raises the store's floor).
    readAll: `WITH ${visibleHorizonCte('$4', '$5')}
      (SELECT ${EVENT_COLUMNS}, NULL::text AS horizon FROM ${s}.events, horizon
      WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
        AND transaction_id < horizon.h
      ORDER BY transaction_id, global_position LIMIT $3)
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, horizon.h::text FROM horizon`,
    head: `WITH ${visibleHorizonCte('$1', '$2')}
      (SELECT transaction_id::text AS txid, global_position::text AS position, NULL::text AS horizon
      FROM ${s}.events, horizon
      WHERE transaction_id < horizon.h
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1)
      UNION ALL
      SELECT NULL, NULL, horizon.h::text FROM horizon`,
    // The matching events, and (a second row set) the last event below the horizon: how far the log is final.
    readTyped: `WITH ${visibleHorizonCte('$4', '$6')},
      matched AS MATERIALIZED (
        SELECT ${EVENT_COLUMNS} FROM ${s}.events, horizon
        WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
          AND transaction_id < horizon.h AND type = ANY($5::text[])
        ORDER BY transaction_id, global_position LIMIT $3),
      head AS MATERIALIZED (
        SELECT transaction_id::text AS txid, global_position FROM ${s}.events, horizon
        WHERE transaction_id < horizon.h
        ORDER BY transaction_id DESC, global_position DESC LIMIT 1)
      SELECT matched.*, false AS is_head, NULL::text AS horizon FROM matched
      UNION ALL
      SELECT global_position, txid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true, NULL FROM head
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, horizon.h::text FROM horizon`,
    version: `SELECT coalesce(max(stream_position), 0)::text AS v FROM ${s}.events WHERE stream_id = $1`,
    loadCheckpoint: `SELECT position::text AS position FROM ${s}.checkpoints WHERE name = $1`,
  };

  /** The highest horizon a read of this store has seen (xid8): later reads never go below it (visibleHorizon.ts). */
  let horizonFloor = 0n;

  /** Runs a horizon-bounded read: its info row (the one with `horizon` set) raises the floor; the other rows are the result. */
  async function horizonRead<R extends { horizon: string | null }>(db: Queryable, config: { name: string; text: string; values: unknown[] }): Promise<R[]> {
    const rows = await query<R>(db, config);
    const info = rows.find((r) => r.horizon !== null);
    if (info !== undefined) {
      const h = BigInt(info.horizon as string);
      if (h > horizonFloor) horizonFloor = h;
    }
    return rows.filter((r) => r.horizon === null);
  }

  async function readAllFrom(db: Queryable, opts: ReadAllOptions): Promise<RecordedEvent[]> {
    const { transactionId, position } = decodePosition(opts.after ?? START);
    const rows = await horizonRead<EventRow & { horizon: string | null }>(db, {
      name: `eventfold.readAll.${schema}`,
      text: sql.readAll,
      values: [transactionId, position, opts.maxCount ?? 1000, eventsOid, horizonFloor.toString()],
    });
    const events = rows.map(toRecordedEvent);
    // UNION ALL keeps each branch's order in practice; sorting an ordered list costs one pass.
    events.sort((a, b) => (a.globalPosition < b.globalPosition ? -1 : 1));
    return events;
  }

  async function readTypedFrom(db: Queryable, opts: ReadAllOptions & { types: readonly string[] }): Promise<TypedReadResult> {
    const after = opts.after ?? START;
    const { transactionId, position } = decodePosition(after);
    const maxCount = opts.maxCount ?? 1000;
    const rows = await horizonRead<EventRow & { is_head: boolean; horizon: string | null }>(db, {
      name: `eventfold.readTyped.${schema}`,
      text: sql.readTyped,
      values: [transactionId, position, maxCount, eventsOid, opts.types, horizonFloor.toString()],
    });
    const events: RecordedEvent[] = [];
    let head: GlobalPosition = after;
    for (const row of rows) {
      if (row.is_head) head = encodePosition(row.txid, row.global_position);
      else events.push(toRecordedEvent(row));
    }
    events.sort((a, b) => (a.globalPosition < b.globalPosition ? -1 : 1));
    const last = events[events.length - 1]?.globalPosition;
    const scannedTo = events.length === maxCount ? (last as GlobalPosition) : head > after ? head : after;
    return { events, scannedTo };
  }

  async function loadCheckpoint(db: Queryable, name: string, forUpdate = false): Promise<GlobalPosition | undefined> {
    assertCheckpointName(name);
    const rows = await query<{ position: string }>(db, { text: forUpdate ? `${sql.loadCheckpoint} FOR UPDATE` : sql.loadCheckpoint, values: [name] });
    return rows[0] ? BigInt(rows[0].position) : undefined;
  }

  async function storeCheckpoint(db: Queryable, name: string, position: GlobalPosition, opts: { expected?: GlobalPosition | null } = {}): Promise<void> {
    assertCheckpointName(name);
    assertPosition(position);
    const expected = opts.expected;
    let written: number | null;
    try {
      if (expected === undefined) {
        written = (
          await db.query(
            `INSERT INTO ${s}.checkpoints (name, position, updated_at) VALUES ($1, $2::numeric, now())
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
            [name, position.toString()],
          )
        ).rowCount;
      } else if (expected === null) {
        written = (
          await db.query(`INSERT INTO ${s}.checkpoints (name, position) VALUES ($1, $2::numeric) ON CONFLICT (name) DO NOTHING`, [name, position.toString()])
        ).rowCount;
      } else {
        assertPosition(expected, 'expected');
        written = (
          await db.query(`UPDATE ${s}.checkpoints SET position = $2::numeric, updated_at = now() WHERE name = $1 AND position = $3::numeric`, [
            name,
            position.toString(),
            expected.toString(),
          ])
        ).rowCount;
      }
    } catch (error) {
      throw translateError(error);
    }
    if (written === 0) throw new CheckpointConflictError(name, expected ?? null, (await loadCheckpoint(db, name)) ?? null);
  }

  const readAll = async (opts: ReadAllOptions = {}) => {
    ensureOpen();
    assertReadAllOptions(opts);
    return readAllFrom(pool, opts);
  };

  const snapshots: SnapshotStore = {
    async save(snapshot) {
      ensureOpen();
      assertSnapshot(snapshot);
      await query(pool, {
        text: `INSERT INTO ${s}.snapshots (stream_id, stream_version, state_version, state, created_at) VALUES ($1, $2, $3, $4::json, $5)
          ON CONFLICT (stream_id) DO UPDATE SET stream_version = excluded.stream_version, state_version = excluded.state_version,
            state = excluded.state, created_at = excluded.created_at
          WHERE excluded.stream_version >= ${s}.snapshots.stream_version`,
        values: [snapshot.streamId, snapshot.streamVersion, snapshot.stateVersion, JSON.stringify(snapshot.state), clock.now()],
      });
    },
    async load(streamId) {
      ensureOpen();
      const rows = await query<{ stream_version: string; state_version: number; state: JsonValue; created_at: Date }>(pool, {
        text: `SELECT stream_version, state_version, state, created_at FROM ${s}.snapshots WHERE stream_id = $1`,
        values: [streamId],
      });
      const row = rows[0];
      return row && { streamId, streamVersion: Number(row.stream_version), stateVersion: row.state_version, state: row.state, createdAt: row.created_at };
    },
    async delete(streamId) {
      ensureOpen();
      await query(pool, { text: `DELETE FROM ${s}.snapshots WHERE stream_id = $1`, values: [streamId] });
    },
  };

  const checkpoints: CheckpointStore = {
    async load(name) {
      ensureOpen();
      return loadCheckpoint(pool, name);
    },
    async store(name, position, opts) {
      ensureOpen();
      await storeCheckpoint(pool, name, position, opts);
    },
    async delete(name) {
      ensureOpen();
      assertCheckpointName(name);
      await query(pool, { text: `DELETE FROM ${s}.checkpoints WHERE name = $1`, values: [name] });
    },
  };

  /**
   * One stream read: fixed fragments only, every value a bound parameter. Each shape (which bounds,
   * which direction, full or lean columns) is a named prepared statement, parsed once per connection.
   */
  function streamQuery(kind: 'full' | 'fold', columns: string, streamId: string, opts: ReadStreamOptions): pg.QueryConfig {
    ensureOpen();
    assertStreamId(streamId);
    assertReadStreamOptions(opts);
    const conditions = ['stream_id = $1'];
    const values: unknown[] = [streamId];
    const bind = (condition: string, value: unknown) => {
      values.push(value);
      conditions.push(`${condition} $${values.length}`);
    };
    if (opts.fromVersion !== undefined) bind('stream_position >=', opts.fromVersion);
    if (opts.toVersion !== undefined) bind('stream_position <=', opts.toVersion);
    if (opts.asOf !== undefined) bind('occurred_at <=', opts.asOf);
    values.push(opts.maxCount ?? null);
    const direction = opts.direction === 'backwards' ? 'DESC' : 'ASC';
    const shape = `${opts.fromVersion !== undefined ? 'f' : ''}${opts.toVersion !== undefined ? 't' : ''}${opts.asOf !== undefined ? 'a' : ''}${direction}`;
    return {
      name: `eventfold.stream.${kind}.${shape}.${schema}`,
      text: `SELECT ${columns} FROM ${s}.events WHERE ${conditions.join(' AND ')} ORDER BY stream_position ${direction} LIMIT $${values.length}`,
      values,
    };
  }

  return {
    pool,
    schema,
    async appendToStream(streamId, events, opts = {}) {
      ensureOpen();
      const expected = opts.expectedVersion === undefined ? 'any' : opts.expectedVersion;
      if (batcher !== undefined) return batcher.append(prepareAppend(streamId, events, expected, clock, options));
      const result = await appendWithPool(pool, ctx, streamId, events, expected);
      if (!result.alreadyStored) appended();
      return result;
    },
    async readStream(streamId, opts: ReadStreamOptions = {}) {
      return (await query<EventRow>(pool, streamQuery('full', EVENT_COLUMNS, streamId, opts))).map(toRecordedEvent);
    },
    async readStreamForFold(streamId, opts: ReadStreamOptions = {}) {
      return (await query<FoldRow>(pool, streamQuery('fold', FOLD_COLUMNS, streamId, opts))).map(toFoldableEvent);
    },
    async streamVersion(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      const rows = await query<{ v: string }>(pool, { name: `eventfold.version.${schema}`, text: sql.version, values: [streamId] });
      return Number(rows[0]?.v ?? 0);
    },
    readAll,
    async readAllOfTypes(opts) {
      ensureOpen();
      assertReadAllOptions(opts);
      if (!Array.isArray(opts.types) || opts.types.some((t) => typeof t !== 'string'))
        throw new InvalidInputError('types', 'must be an array of event type names, e.g. ["OrderPlaced"].');
      return readTypedFrom(pool, opts);
    },
    async headPosition() {
      ensureOpen();
      const rows = await horizonRead<{ txid: string; position: string; horizon: string | null }>(pool, {
        name: `eventfold.head.${schema}`,
        text: sql.head,
        values: [eventsOid, horizonFloor.toString()],
      });
      const row = rows[0];
      return row ? encodePosition(row.txid, row.position) : START;
    },
    subscribe(subscribeOptions) {
      ensureOpen();
      const subscription = createCatchUpSubscription(readAll, notifier, subscribeOptions);
      subscriptions.add(subscription);
      subscription.done.then(
        () => subscriptions.delete(subscription),
        () => subscriptions.delete(subscription),
      );
      return subscription;
    },
    snapshots,
    checkpoints,
    onAppend(listener) {
      const own = () => listener();
      appendListeners.add(own);
      return () => appendListeners.delete(own);
    },
    async transaction(fn, transactionOptions = {}) {
      ensureOpen();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translateError(error);
      }
      const appends = transactionOptions.appends !== false;
      let didAppend = false;
      const tx: PostgresTransaction = {
        client,
        appendToStream: async (streamId, events, opts = {}) => {
          if (!appends)
            throw new InvalidInputError('appends', 'this transaction was opened with { appends: false }; open it without that option to append in it.');
          const result = await appendInTransaction(client, ctx, streamId, events, opts.expectedVersion === undefined ? 'any' : opts.expectedVersion);
          if (!result.alreadyStored) didAppend = true;
          return result;
        },
        loadCheckpoint: (name, opts = {}) => loadCheckpoint(client, name, opts.forUpdate),
        storeCheckpoint: (name, position, opts) => storeCheckpoint(client, name, position, opts),
      };
      let broken: unknown;
      try {
        // A transaction that may append declares itself before it can get a transaction id, by locking
        // the events table (ROW EXCLUSIVE: appends do not conflict): readers wait for it (visibleHorizon.ts).
        await client.query(appends ? `BEGIN; LOCK TABLE ${s}.events IN ROW EXCLUSIVE MODE` : 'BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        if (didAppend) appended();
        else notifier.notify();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw translateError(error);
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      notifier.notify();
      await Promise.all([...subscriptions].map((sub) => sub.stop()));
      if (ownsPool) await pool.end();
    },
  };
}
