/** Validation of read, checkpoint and position arguments shared by every store. */

import type { GlobalPosition, RecordedEvent } from './envelope.js';
import { InvalidInputError } from './errors.js';
import type { ReadAllOptions, ReadStreamOptions, Snapshot } from './eventStore.js';
import { assertJsonValue, assertStreamId } from './prepareAppend.js';

const MAX_READ_COUNT = 100_000;

function assertCount(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(path, `must be a whole number from ${min} to ${max}.`);
  }
}

export function assertReadStreamOptions(options: ReadStreamOptions): void {
  if (options.direction !== undefined && options.direction !== 'forwards' && options.direction !== 'backwards') {
    throw new InvalidInputError('direction', "must be 'forwards' or 'backwards'.");
  }
  assertCount(options.fromVersion, 'fromVersion', 1);
  assertCount(options.toVersion, 'toVersion', 1);
  assertCount(options.maxCount, 'maxCount', 1);
  if (options.asOf !== undefined && (!(options.asOf instanceof Date) || Number.isNaN(options.asOf.getTime()))) {
    throw new InvalidInputError('asOf', 'must be a valid Date.');
  }
}

export function assertReadAllOptions(options: ReadAllOptions): void {
  if (options.after !== undefined) assertPosition(options.after, 'after');
  assertCount(options.maxCount, 'maxCount', 1, MAX_READ_COUNT);
}

/** Apply ReadStreamOptions to a stream held in memory, in stream order. */
export function selectStreamRange(stream: readonly RecordedEvent[], options: ReadStreamOptions): RecordedEvent[] {
  const from = options.fromVersion ?? 1;
  const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
  const asOf = options.asOf?.getTime();
  let selected = stream.filter((e) => e.streamPosition >= from && e.streamPosition <= to && (asOf === undefined || e.occurredAt.getTime() <= asOf));
  if (options.direction === 'backwards') selected = selected.reverse();
  return options.maxCount === undefined ? selected : selected.slice(0, options.maxCount);
}

export function assertCheckpointName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw new InvalidInputError('checkpoint name', 'must be a non-empty string of at most 255 characters.');
  }
}

export function assertPosition(position: unknown, path = 'position'): asserts position is GlobalPosition {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new InvalidInputError(path, 'must be a global position (a bigint ≥ 0n) taken from an event or a checkpoint.');
  }
}

/** A snapshot a store may save: a valid stream id, versions ≥ 1 and JSON state. */
export function assertSnapshot(snapshot: Omit<Snapshot, 'createdAt'>): void {
  assertStreamId(snapshot.streamId, 'snapshot.streamId');
  assertCount(snapshot.streamVersion, 'snapshot.streamVersion', 1);
  assertCount(snapshot.stateVersion, 'snapshot.stateVersion', 1);
  if (snapshot.streamVersion === undefined || snapshot.stateVersion === undefined)
    throw new InvalidInputError('snapshot', 'needs streamVersion and stateVersion.');
  assertJsonValue(snapshot.state, 'snapshot.state');
}
