import { EMPTY_METADATA_JSON, type Headers, type JsonValue, type RecordedEvent } from '@eventfold/core';

export interface EventRow {
  global_position: number;
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  occurred_at: number;
}

export const EVENT_COLUMNS = 'global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  // The common case, no correlation and no headers, skips JSON.parse.
  const metadata = (row.metadata === EMPTY_METADATA_JSON ? {} : JSON.parse(row.metadata)) as {
    correlationId?: string;
    causationId?: string;
    headers?: Headers;
  };
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: JSON.parse(row.data) as JsonValue,
    streamId: row.stream_id,
    streamPosition: row.stream_position,
    globalPosition: BigInt(row.global_position),
    occurredAt: new Date(row.occurred_at),
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    headers: metadata.headers ?? {},
  };
}
