/**
 * Which offset a partition may commit. Handlers finish out of order (different keys run in
 * parallel), but committing offset N means "everything before N is done", so the committable offset
 * is one past the longest finished prefix of what was delivered.
 *
 * Every delivered record gets a slot number (delivery order); `finish(slot)` marks it. The unfinished
 * window is two parallel arrays read from `head` and trimmed every 1,024 slots, so the common case —
 * records finishing in order — costs two array pushes and a flag, with no Set and no BigInt arithmetic.
 */
export class PartitionOffsets {
  /** Offsets of slots `base`, `base + 1`, … still in the window (ascending: offsets arrive in order). */
  private offsets: bigint[] = [];
  private done: boolean[] = [];
  /** Index in the arrays of the first unfinished slot. */
  private head = 0;
  /** Slot number of index 0. */
  private base = 0;
  private highestDelivered = -1n;
  /** The last offset of the finished prefix not yet taken by `takeCommit`. */
  private lastFinished: bigint | undefined;

  /**
   * Records delivery of `offset` and returns its slot for `finish`, or -1 when the offset is at or
   * below one already seen (a refetch): such a record must not be handled again.
   */
  delivered(offset: bigint): number {
    if (offset <= this.highestDelivered) return -1;
    this.highestDelivered = offset;
    this.offsets.push(offset);
    this.done.push(false);
    return this.base + this.offsets.length - 1;
  }

  finish(slot: number): void {
    const index = slot - this.base;
    const length = this.offsets.length;
    if (index < this.head || index >= length) return;
    this.done[index] = true;
    if (index !== this.head) return;
    let head = index + 1;
    while (head < length && this.done[head] === true) head += 1;
    this.lastFinished = this.offsets[head - 1] as bigint;
    if (head === length && length >= 1024) {
      // Everything delivered has finished: start an empty window (amortised: shrinking arrays costs).
      this.offsets.length = 0;
      this.done.length = 0;
      this.base += length;
      this.head = 0;
    } else if (head >= 1024 && head * 2 >= length) {
      this.offsets.splice(0, head);
      this.done.splice(0, head);
      this.base += head;
      this.head = 0;
    } else {
      this.head = head;
    }
  }

  /** The offset to commit, once; undefined when nothing new finished since the last call. */
  takeCommit(): bigint | undefined {
    const last = this.lastFinished;
    if (last === undefined) return undefined;
    this.lastFinished = undefined;
    return last + 1n;
  }

  get unfinished(): number {
    return this.offsets.length - this.head;
  }
}
