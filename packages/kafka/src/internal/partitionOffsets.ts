/**
 * Which offset a partition may commit. Handlers finish out of order (different keys run in
 * parallel), but committing offset N means "everything before N is done", so the committable offset
 * is one past the longest finished prefix of what was delivered.
 */
export class PartitionOffsets {
  /** Delivered and unfinished offsets, ascending (offsets arrive in order per partition). */
  private readonly pending: bigint[] = [];
  private readonly finished = new Set<bigint>();
  private highestDelivered = -1n;
  private committable: bigint | undefined;

  /** Records delivery of `offset`. Offsets at or below one already seen are ignored (a refetch). */
  delivered(offset: bigint): boolean {
    if (offset <= this.highestDelivered) return false;
    this.highestDelivered = offset;
    this.pending.push(offset);
    return true;
  }

  finish(offset: bigint): void {
    this.finished.add(offset);
    while (this.pending.length > 0 && this.finished.has(this.pending[0] as bigint)) {
      const done = this.pending.shift() as bigint;
      this.finished.delete(done);
      this.committable = done + 1n;
    }
  }

  /** The offset to commit, once; undefined when nothing new finished since the last call. */
  takeCommit(): bigint | undefined {
    const value = this.committable;
    this.committable = undefined;
    return value;
  }

  get unfinished(): number {
    return this.pending.length;
  }
}
