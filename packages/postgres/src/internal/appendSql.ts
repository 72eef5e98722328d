/**
 * One statement per append: read the stream's version, check the expectation and insert the batch,
 * atomically. A concurrent writer at the same version loses on the (stream_id, stream_position)
 * unique constraint (23505), never by isolation level alone. Only the quoted schema name is
 * interpolated; every value is a bound parameter.
 */

/** $1 stream, $2 mode ('any'|'no_stream'|'stream_exists'|'exact'), $3 exact version, $4 occurred_at, then the event columns. */
const EXPECTATION = `CASE $2::text WHEN 'any' THEN true WHEN 'no_stream' THEN cur.v = 0 WHEN 'stream_exists' THEN cur.v > 0 ELSE cur.v = $3::bigint END`;

export interface AppendStatements {
  single: string;
  batch: string;
}

export function appendStatements(s: string): AppendStatements {
  const current = `cur AS (SELECT coalesce(max(stream_position), 0)::bigint AS v FROM ${s}.events WHERE stream_id = $1)`;
  const result = `SELECT cur.v::text AS current, (SELECT count(*) FROM ins)::int AS inserted,
           (SELECT max(stream_position) FROM ins)::text AS version, (SELECT max(global_position) FROM ins)::text AS position,
           (SELECT transaction_id::text FROM ins LIMIT 1) AS transaction_id
    FROM cur`;
  const columns = '(stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)';
  return {
    single: `WITH ${current},
      ins AS (
        INSERT INTO ${s}.events ${columns}
        SELECT $1, cur.v + 1, $5::uuid, $6::text, $7::int, $8::json, $9::json, $4::timestamptz FROM cur WHERE ${EXPECTATION}
        RETURNING stream_position, global_position, transaction_id
      )
    ${result}`,
    batch: `WITH ${current},
      ins AS (
        INSERT INTO ${s}.events ${columns}
        SELECT $1, cur.v + e.ord, e.event_id, e.type, e.schema_version, e.data, e.metadata, $4::timestamptz
        FROM cur, unnest($5::uuid[], $6::text[], $7::int[], $8::json[], $9::json[]) WITH ORDINALITY AS e(event_id, type, schema_version, data, metadata, ord)
        WHERE ${EXPECTATION}
        ORDER BY e.ord
        RETURNING stream_position, global_position, transaction_id
      )
    ${result}`,
  };
}
