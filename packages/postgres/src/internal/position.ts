/**
 * PostgreSQL global positions. The log is ordered by (transaction id, position): positions come
 * from an identity column and can commit out of order, transaction ids below the oldest running
 * transaction (pg_snapshot_xmin) are final. Both are packed into one opaque bigint:
 * `transactionId << 64 | position`, so a checkpoint is a single totally ordered value.
 */
import type { GlobalPosition } from '@eventfold/core';

const LOW = (1n << 64n) - 1n;

export function encodePosition(transactionId: string | bigint, position: string | bigint): GlobalPosition {
  return (BigInt(transactionId) << 64n) | BigInt(position);
}

export function decodePosition(value: GlobalPosition): { transactionId: string; position: string } {
  return { transactionId: (value >> 64n).toString(), position: (value & LOW).toString() };
}
