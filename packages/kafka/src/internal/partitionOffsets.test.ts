import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './partitionOffsets.js';

describe('PartitionOffsets', () => {
  it('commits one past the longest finished prefix, once', () => {
    const offsets = new PartitionOffsets();
    const slots = [10n, 11n, 12n, 13n].map((o) => offsets.delivered(o));
    expect(slots.every((s) => s >= 0)).toBe(true);
    const [s10, s11, s12, s13] = slots as [number, number, number, number];
    offsets.finish(s12);
    expect(offsets.takeCommit(), 'offset 10 and 11 are unfinished').toBeUndefined();
    offsets.finish(s10);
    expect(offsets.takeCommit()).toBe(11n);
    expect(offsets.takeCommit(), 'nothing new').toBeUndefined();
    offsets.finish(s11);
    expect(offsets.takeCommit(), '10–12 done').toBe(13n);
    expect(offsets.unfinished).toBe(1);
    offsets.finish(s13);
    expect(offsets.takeCommit()).toBe(14n);
    expect(offsets.unfinished).toBe(0);
  });

  it('ignores offsets at or below one already delivered (a refetch)', () => {
    const offsets = new PartitionOffsets();
    expect(offsets.delivered(5n)).toBeGreaterThanOrEqual(0);
    expect(offsets.delivered(5n)).toBe(-1);
    expect(offsets.delivered(4n)).toBe(-1);
    expect(offsets.unfinished).toBe(1);
  });

  it('follows gaps in offsets (compacted topics, transaction markers)', () => {
    const offsets = new PartitionOffsets();
    const a = offsets.delivered(3n);
    const b = offsets.delivered(7n);
    offsets.finish(b);
    offsets.finish(a);
    expect(offsets.takeCommit()).toBe(8n);
  });

  it('keeps slots valid across window resets and compaction, and ignores finishing a slot twice', () => {
    const offsets = new PartitionOffsets();
    const first = offsets.delivered(0n);
    offsets.finish(first);
    offsets.finish(first);
    expect(offsets.takeCommit()).toBe(1n);
    // A long window with the head record held open, then released.
    const held = offsets.delivered(1n);
    const rest: number[] = [];
    for (let o = 2n; o < 3_000n; o += 1n) rest.push(offsets.delivered(o));
    for (const slot of rest.slice(0, 2_000)) offsets.finish(slot);
    expect(offsets.takeCommit(), 'offset 1 still runs').toBeUndefined();
    offsets.finish(held);
    expect(offsets.takeCommit()).toBe(2_002n);
    for (const slot of rest.slice(2_000)) offsets.finish(slot);
    expect(offsets.takeCommit()).toBe(3_000n);
    expect(offsets.unfinished).toBe(0);
    const next = offsets.delivered(3_000n);
    offsets.finish(next);
    expect(offsets.takeCommit()).toBe(3_001n);
  });
});
