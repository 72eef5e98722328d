/**
 * Runs jobs with at most `concurrency` at once while jobs that share a key run one at a time, in
 * submission order. Different keys overtake each other; one key never does.
 */
export class KeyedScheduler {
  private running = 0;
  private readonly lanes = new Map<string, Array<() => Promise<void>>>();
  /** Keys whose head job waits for a free slot, oldest first. */
  private readonly ready: string[] = [];
  private idleWaiters: Array<() => void> = [];
  private queued = 0;

  constructor(private readonly concurrency: number) {}

  /** Jobs submitted and not finished. */
  get size(): number {
    return this.queued;
  }

  submit(key: string, job: () => Promise<void>): void {
    this.queued += 1;
    const lane = this.lanes.get(key);
    if (lane !== undefined) {
      lane.push(job);
      return;
    }
    this.lanes.set(key, [job]);
    this.ready.push(key);
    this.pump();
  }

  /** Resolves when every submitted job has finished. */
  idle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      const lane = this.lanes.get(key);
      const job = lane?.shift();
      if (job === undefined) continue;
      this.running += 1;
      job()
        .catch(() => {})
        .finally(() => {
          this.running -= 1;
          this.queued -= 1;
          if (lane !== undefined && lane.length > 0) this.ready.push(key);
          else this.lanes.delete(key);
          if (this.queued === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
          this.pump();
        });
    }
  }
}
