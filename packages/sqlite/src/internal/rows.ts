import { EMPTY_METADATA_JSON, type FoldableEvent, type Headers, type JsonValue, type RecordedEvent } from '@eventfold/core';

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

/** The lean read for folds: what `evolve` and the upcasters' version check need, nothing else. */
export const FOLD_COLUMNS = 'stream_position, type, schema_version, data';

export interface FoldRow {
  stream_position: number;
  type: string;
  schema_version: number;
  data: string;
}

export function toFoldableEvent(row: FoldRow): FoldableEvent {
  return { type: row.type, schemaVersion: row.schema_version, data: JSON.parse(row.data) as JsonValue, streamPosition: row.stream_position };
}

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
