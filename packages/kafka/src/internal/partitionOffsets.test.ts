import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './partitionOffsets.js';

describe('PartitionOffsets', () => {
  it('commits one past the longest finished prefix, once', () => {
    const offsets = new PartitionOffsets();
    for (const o of [10n, 11n, 12n, 13n]) expect(offsets.delivered(o)).toBe(true);
    offsets.finish(12n);
    expect(offsets.takeCommit(), 'offset 10 and 11 are unfinished').toBeUndefined();
    offsets.finish(10n);
    expect(offsets.takeCommit()).toBe(11n);
    expect(offsets.takeCommit(), 'nothing new').toBeUndefined();
    offsets.finish(11n);
    expect(offsets.takeCommit(), '10–12 done').toBe(13n);
    expect(offsets.unfinished).toBe(1);
    offsets.finish(13n);
    expect(offsets.takeCommit()).toBe(14n);
  });

  it('ignores offsets at or below one already delivered (a refetch)', () => {
    const offsets = new PartitionOffsets();
    expect(offsets.delivered(5n)).toBe(true);
    expect(offsets.delivered(5n)).toBe(false);
    expect(offsets.delivered(4n)).toBe(false);
    expect(offsets.unfinished).toBe(1);
  });
});
