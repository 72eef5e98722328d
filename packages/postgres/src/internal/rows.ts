import type { Headers, JsonValue, RecordedEvent } from '@eventfold/core';
import { encodePosition } from './position.js';

export interface EventRow {
  global_position: string;
  txid: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: JsonValue;
  metadata: { correlationId?: string; causationId?: string; headers?: Headers };
  occurred_at: Date;
}

/** Output names differ from column names so ORDER BY always sorts the typed columns, never text. */
export const EVENT_COLUMNS =
  'global_position, transaction_id::text AS txid, stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    globalPosition: encodePosition(row.txid, row.global_position),
    occurredAt: row.occurred_at,
    correlationId: row.metadata.correlationId,
    causationId: row.metadata.causationId,
    headers: row.metadata.headers ?? {},
  };
}
