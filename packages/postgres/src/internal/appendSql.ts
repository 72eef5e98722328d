/**
 * One statement per append: read the stream's version, check the expectation and insert the batch,
 * atomically. A concurrent writer at the same version loses on the (stream_id, stream_position)
 * unique constraint (23505), never by isolation level alone. Only the quoted schema name and
 * generated placeholders are interpolated; every value is a bound parameter.
 */

/** $1 stream, $2 mode ('any'|'no_stream'|'stream_exists'|'exact'), $3 exact version, $4 occurred_at, then 5 parameters per event. */
const EXPECTATION = `CASE $2::text WHEN 'any' THEN true WHEN 'no_stream' THEN cur.v = 0 WHEN 'stream_exists' THEN cur.v > 0 ELSE cur.v = $3::bigint END`;
const COLUMNS = '(stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)';

export interface AppendStatements {
  /** Creating a stream with one event: the unique constraint alone decides, no version lookup needed. $1 stream, $2 occurred_at, $3… event. */
  create: string;
  /** Any expectation, `n` events (statement text cached per batch size). */
  batch(n: number): string;
}

export function appendStatements(s: string): AppendStatements {
  const current = `cur AS (SELECT coalesce(max(stream_position), 0)::bigint AS v FROM ${s}.events WHERE stream_id = $1)`;
  const result = `SELECT cur.v::text AS current, (SELECT count(*) FROM ins)::int AS inserted,
           (SELECT max(stream_position) FROM ins)::text AS version, (SELECT max(global_position) FROM ins)::text AS position,
           (SELECT transaction_id::text FROM ins LIMIT 1) AS txid
    FROM cur`;
  const cache = new Map<number, string>();
  return {
    create: `INSERT INTO ${s}.events ${COLUMNS} VALUES ($1, 1, $3::uuid, $4::text, $5::int, $6::json, $7::json, $2::timestamptz)
      RETURNING '0' AS current, 1 AS inserted, '1' AS version, global_position::text AS position, transaction_id::text AS txid`,
    batch(n) {
      let text = cache.get(n);
      if (text === undefined) {
        const rows = Array.from({ length: n }, (_, i) => {
          const p = 5 + i * 5;
          return `($${p}::uuid, $${p + 1}::text, $${p + 2}::int, $${p + 3}::json, $${p + 4}::json, ${i + 1})`;
        }).join(', ');
        text = `WITH ${current},
          ins AS (
            INSERT INTO ${s}.events ${COLUMNS}
            SELECT $1, cur.v + e.ord, e.event_id, e.type, e.schema_version, e.data, e.metadata, $4::timestamptz
            FROM cur, (VALUES ${rows}) AS e(event_id, type, schema_version, data, metadata, ord)
            WHERE ${EXPECTATION}
            ORDER BY e.ord
            RETURNING stream_position, global_position, transaction_id
          )
        ${result}`;
        if (n <= 128) cache.set(n, text);
      }
      return text;
    },
  };
}
