/**
 * What the caller believes about a stream before appending. A number is the exact version
 * (the streamPosition of its last event; 0 means the stream must not exist yet).
 */
import { InvalidInputError } from './errors.js';

export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

/** Throws InvalidInputError unless `value` is a valid ExpectedVersion. */
export function assertExpectedVersion(value: unknown): asserts value is ExpectedVersion {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
  throw new InvalidInputError(
    'expectedVersion',
    `${JSON.stringify(value) ?? String(value)} is not valid; use 'any', 'no_stream', 'stream_exists' or a whole number ≥ 0 (the stream's current version).`,
  );
}

/** Does a stream currently at `current` (0 = absent) satisfy `expected`? */
export function matchesExpectedVersion(expected: ExpectedVersion, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === 0;
    case 'stream_exists':
      return current > 0;
    default:
      return current === expected;
  }
}
