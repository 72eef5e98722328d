import {
  type AppendLimits,
  type AppendResult,
  type Clock,
  ConcurrencyError,
  DuplicateEventError,
  type EventToAppend,
  type ExpectedVersion,
  type PreparedAppend,
  prepareAppend,
} from '@eventfold/core';
import type pg from 'pg';
import type { AppendStatements } from './appendSql.js';
import { encodePosition } from './position.js';
import { isTransient, pgCode, pgConstraint, translateError } from './translateError.js';

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface AppendContext {
  schema: string;
  quoted: string;
  statements: AppendStatements;
  clock: Clock;
  limits: AppendLimits;
}

/** How many times a statement that lost a race it may retry ('any', 'stream_exists', deadlocks) is re-run. */
const MAX_ATTEMPTS = 100;

interface AppendRow {
  current: string;
  inserted: number;
  version: string | null;
  position: string | null;
  txid: string | null;
}

function mode(expected: ExpectedVersion): [string, number | null] {
  return typeof expected === 'number' ? ['exact', expected] : [expected, null];
}

function runStatement(db: Queryable, ctx: AppendContext, prepared: PreparedAppend): Promise<pg.QueryResult<AppendRow>> {
  const events = prepared.events;
  if (events.length === 1 && prepared.expectedVersion === 'no_stream') {
    const e = events[0] as PreparedAppend['events'][number];
    return db.query<AppendRow>({
      name: `eventfold.create.${ctx.schema}`,
      text: ctx.statements.create,
      values: [prepared.streamId, prepared.occurredAt, e.eventId, e.type, e.schemaVersion, e.data, e.metadata],
    });
  }
  const [m, exact] = mode(prepared.expectedVersion);
  const values: unknown[] = [prepared.streamId, m, exact, prepared.occurredAt];
  for (const e of events) values.push(e.eventId, e.type, e.schemaVersion, e.data, e.metadata);
  // Named (server-side prepared) for the common batch sizes; larger batches are planned each time.
  const name = events.length <= 128 ? `eventfold.append${events.length}.${ctx.schema}` : undefined;
  return db.query<AppendRow>({ name, text: ctx.statements.batch(events.length), values });
}

/** The stream's version, for the message of a concurrency error; undefined if it cannot be read. */
async function currentVersion(db: Queryable, ctx: AppendContext, streamId: string): Promise<number | undefined> {
  try {
    const { rows } = await db.query<{ v: string }>(`SELECT coalesce(max(stream_position), 0)::text AS v FROM ${ctx.quoted}.events WHERE stream_id = $1`, [
      streamId,
    ]);
    return Number(rows[0]?.v);
  } catch {
    return undefined;
  }
}

/** A batch whose event ids are all stored already, in this stream, was appended before: acknowledge it. */
async function findStored(db: Queryable, ctx: AppendContext, prepared: PreparedAppend): Promise<AppendResult | 'none'> {
  const ids = prepared.events.map((e) => e.eventId);
  const { rows } = await db.query<{ event_id: string; stream_id: string; stream_position: string; global_position: string; txid: string }>(
    `SELECT event_id, stream_id, stream_position, global_position::text AS global_position, transaction_id::text AS txid FROM ${ctx.quoted}.events WHERE event_id = ANY($1::uuid[])`,
    [ids],
  );
  if (rows.length === 0) return 'none';
  if (rows.length === ids.length && rows.every((r) => r.stream_id === prepared.streamId)) {
    const last = rows.reduce((a, b) => (BigInt(a.stream_position) > BigInt(b.stream_position) ? a : b));
    return {
      streamId: prepared.streamId,
      nextExpectedVersion: Number(last.stream_position),
      globalPosition: encodePosition(last.txid, last.global_position),
      alreadyStored: true,
    };
  }
  throw new DuplicateEventError(
    prepared.streamId,
    rows.map((r) => r.event_id),
  );
}

/**
 * Appends outside a caller's transaction: the single statement is its own transaction, so a lost
 * race leaves nothing behind and may be re-run.
 */
export async function appendWithPool(
  db: Queryable,
  ctx: AppendContext,
  streamId: string,
  events: readonly EventToAppend<string, unknown>[],
  expected: unknown,
): Promise<AppendResult> {
  return appendPreparedWithPool(db, ctx, prepareAppend(streamId, events, expected, ctx.clock, ctx.limits));
}

/** `appendWithPool` for an append already validated and serialised. */
export async function appendPreparedWithPool(db: Queryable, ctx: AppendContext, prepared: PreparedAppend): Promise<AppendResult> {
  const streamId = prepared.streamId;
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await runStatement(db, ctx, prepared);
      const row = rows[0] as AppendRow;
      if (row.inserted === 0) {
        const stored = await findStored(db, ctx, prepared);
        if (stored !== 'none') return stored;
        throw new ConcurrencyError(streamId, prepared.expectedVersion, Number(row.current));
      }
      return {
        streamId,
        nextExpectedVersion: Number(row.version),
        globalPosition: encodePosition(row.txid as string, row.position as string),
        alreadyStored: false,
      };
    } catch (error) {
      if (pgCode(error) === '23505' && pgConstraint(error) === 'events_event_id') {
        const stored = await findStored(db, ctx, prepared);
        if (stored !== 'none') return stored;
      }
      const lostRace = (pgCode(error) === '23505' && pgConstraint(error) === 'events_stream_version') || isTransient(error);
      if (lostRace) {
        const retryable = prepared.expectedVersion === 'any' || prepared.expectedVersion === 'stream_exists' || isTransient(error);
        if (retryable && attempt < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
          continue;
        }
        throw new ConcurrencyError(streamId, prepared.expectedVersion, await currentVersion(db, ctx, streamId), error);
      }
      throw translateError(error);
    }
  }
}

/**
 * Appends inside a caller's transaction, under a savepoint so a lost race or a retried batch
 * does not abort the caller's whole transaction.
 */
export async function appendInTransaction(
  client: pg.PoolClient,
  ctx: AppendContext,
  streamId: string,
  events: readonly EventToAppend<string, unknown>[],
  expected: unknown,
): Promise<AppendResult> {
  const prepared = prepareAppend(streamId, events, expected, ctx.clock, ctx.limits);
  await client.query('SAVEPOINT eventfold_append');
  try {
    const { rows } = await runStatement(client, ctx, prepared);
    const row = rows[0] as AppendRow;
    if (row.inserted === 0) {
      const stored = await findStored(client, ctx, prepared);
      if (stored === 'none') throw new ConcurrencyError(streamId, prepared.expectedVersion, Number(row.current));
      await client.query('RELEASE SAVEPOINT eventfold_append');
      return stored;
    }
    await client.query('RELEASE SAVEPOINT eventfold_append');
    return {
      streamId,
      nextExpectedVersion: Number(row.version),
      globalPosition: encodePosition(row.txid as string, row.position as string),
      alreadyStored: false,
    };
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT eventfold_append');
    if (pgCode(error) === '23505' && pgConstraint(error) === 'events_event_id') {
      const stored = await findStored(client, ctx, prepared);
      if (stored !== 'none') return stored;
    }
    if (pgCode(error) === '23505' && pgConstraint(error) === 'events_stream_version') {
      throw new ConcurrencyError(streamId, prepared.expectedVersion, await currentVersion(client, ctx, streamId), error);
    }
    throw translateError(error);
  }
}
