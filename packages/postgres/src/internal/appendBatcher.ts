/**
 * Group commit for pooled appends: the appends callers start in one turn of the event loop (a fetch of
 * messages runs many handlers at once) go to the database as one statement and one commit instead of
 * one each. Each append keeps its own expectation, its own result and its own atomicity:
 *
 * - the statement checks every append's expected version against its stream's current version and
 *   inserts only the appends whose expectation holds; the others come back with `inserted = 0` and are
 *   decided one by one on the single-append path (stored before → acknowledged, else ConcurrencyError);
 * - any error of the statement (a concurrent writer won a version, an event id stored before, the
 *   connection dropped) rolls all of it back, and every append of the group runs again on its own, with
 *   that path's retries and idempotency checks. Nothing is acknowledged before the commit.
 *
 * Two appends to one stream never share a statement (both would read the same version): the second
 * waits for the next group. The group shares one transaction id, so the log's order and horizon rules
 * (visibleHorizon.ts) are those of any multi-event append; an INSERT locks the events table before its
 * transaction gets an id, as the single-append statement does.
 */
import type { AppendResult, PreparedAppend } from '@eventfold/core';
import { type AppendContext, appendPreparedWithPool, type Queryable } from './append.js';
import { encodePosition } from './position.js';

/** Appends per statement, and events per statement, at most. */
const MAX_APPENDS = 64;
const MAX_EVENTS = 1_000;

interface Pending {
  prepared: PreparedAppend;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface GroupRow {
  k: number;
  inserted: number;
  version: string | null;
  position: string | null;
  txid: string | null;
}

export function appendManyStatement(s: string): string {
  const columns = '(stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)';
  return `WITH input AS (
      SELECT i.stream_id, i.mode, i.exact, i.occurred_at, i.k::int AS k
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[]) WITH ORDINALITY AS i(stream_id, mode, exact, occurred_at, k)),
    cur AS (
      SELECT input.*, (SELECT coalesce(max(e.stream_position), 0) FROM ${s}.events e WHERE e.stream_id = input.stream_id)::bigint AS v
      FROM input),
    ev AS (
      SELECT * FROM unnest($5::int[], $6::int[], $7::uuid[], $8::text[], $9::int[], $10::json[], $11::json[])
        AS x(k, ord, event_id, type, schema_version, data, metadata)),
    ins AS (
      INSERT INTO ${s}.events ${columns}
      SELECT cur.stream_id, cur.v + ev.ord, ev.event_id, ev.type, ev.schema_version, ev.data, ev.metadata, cur.occurred_at
      FROM cur JOIN ev ON ev.k = cur.k
      WHERE CASE cur.mode WHEN 'any' THEN true WHEN 'no_stream' THEN cur.v = 0 WHEN 'stream_exists' THEN cur.v > 0 ELSE cur.v = cur.exact END
      ORDER BY cur.k, ev.ord
      RETURNING stream_id, stream_position, global_position, transaction_id),
    done AS (
      SELECT stream_id, count(*)::int AS inserted, max(stream_position)::text AS version, max(global_position)::text AS position,
        min(transaction_id::text) AS txid
      FROM ins GROUP BY stream_id)
    SELECT cur.k, coalesce(done.inserted, 0) AS inserted, done.version, done.position, done.txid
    FROM cur LEFT JOIN done ON done.stream_id = cur.stream_id`;
}

export interface AppendBatcher {
  append(prepared: PreparedAppend): Promise<AppendResult>;
}

/**
 * @param onAppended called once per committed group that stored something (listeners wake once).
 */
export function createAppendBatcher(db: Queryable, ctx: AppendContext, onAppended: () => void): AppendBatcher {
  const statement = appendManyStatement(ctx.quoted);
  const name = `eventfold.appendMany.${ctx.schema}`;
  let queue: Pending[] = [];
  let scheduled = false;

  const single = (item: Pending) => {
    appendPreparedWithPool(db, ctx, item.prepared).then((result) => {
      if (!result.alreadyStored) onAppended();
      item.resolve(result);
    }, item.reject);
  };

  const runGroup = async (group: Pending[]) => {
    const streams: string[] = [];
    const modes: string[] = [];
    const exacts: (number | null)[] = [];
    const occurred: Date[] = [];
    const ks: number[] = [];
    const ords: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    const versions: number[] = [];
    const data: string[] = [];
    const metadata: string[] = [];
    group.forEach(({ prepared }, index) => {
      const expected = prepared.expectedVersion;
      streams.push(prepared.streamId);
      modes.push(typeof expected === 'number' ? 'exact' : expected);
      exacts.push(typeof expected === 'number' ? expected : null);
      occurred.push(prepared.occurredAt);
      prepared.events.forEach((e, i) => {
        ks.push(index + 1);
        ords.push(i + 1);
        ids.push(e.eventId);
        types.push(e.type);
        versions.push(e.schemaVersion);
        data.push(e.data);
        metadata.push(e.metadata);
      });
    });
    let rows: GroupRow[];
    try {
      rows = (
        await db.query<GroupRow>({
          name,
          text: statement,
          values: [streams, modes, exacts, occurred, ks, ords, ids, types, versions, data, metadata],
        })
      ).rows;
    } catch {
      // Rolled back whole: each append goes again on its own (races, stored-before ids, transient errors).
      for (const item of group) single(item);
      return;
    }
    let stored = false;
    for (const row of rows) {
      const item = group[row.k - 1] as Pending;
      if (row.inserted === 0) {
        // Its expectation did not hold: the single path tells "stored before" from a real conflict.
        single(item);
        continue;
      }
      stored = true;
      item.resolve({
        streamId: item.prepared.streamId,
        nextExpectedVersion: Number(row.version),
        globalPosition: encodePosition(row.txid as string, row.position as string),
        alreadyStored: false,
      });
    }
    if (stored) onAppended();
  };

  const flush = () => {
    scheduled = false;
    let waiting = queue;
    queue = [];
    while (waiting.length > 0) {
      const group: Pending[] = [];
      const later: Pending[] = [];
      const inGroup = new Set<string>();
      let events = 0;
      for (const item of waiting) {
        const size = item.prepared.events.length;
        if (inGroup.has(item.prepared.streamId) || group.length >= MAX_APPENDS || (group.length > 0 && events + size > MAX_EVENTS)) later.push(item);
        else {
          group.push(item);
          inGroup.add(item.prepared.streamId);
          events += size;
        }
      }
      if (group.length === 1) single(group[0] as Pending);
      else void runGroup(group);
      waiting = later;
    }
  };

  return {
    append(prepared) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ prepared, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
