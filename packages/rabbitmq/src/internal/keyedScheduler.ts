/**
 * Runs jobs with at most `concurrency` at once while jobs that share a key run one at a time, in
 * submission order. Different keys overtake each other; one key never does. A job that finished
 * synchronously (returned undefined) frees its slot at once, so a synchronous handler costs no
 * promise and no microtask hop.
 */

/** A job returns a promise when it has asynchronous work left, undefined when it finished. */
export type SchedulerJob = () => Promise<void> | undefined;

export class KeyedScheduler {
  private running = 0;
  private readonly lanes = new Map<string, SchedulerJob[]>();
  /** Keys whose head job waits for a free slot, oldest first. */
  private readonly ready: string[] = [];
  private idleWaiters: Array<() => void> = [];
  private queued = 0;
  private pumping = false;

  constructor(private readonly concurrency: number) {}

  /** Jobs submitted and not finished. */
  get size(): number {
    return this.queued;
  }

  submit(key: string, job: SchedulerJob): void {
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
    // A job that submits (or finishes synchronously) while we pump is picked up by this loop.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.running < this.concurrency && this.ready.length > 0) {
        const key = this.ready.shift() as string;
        const lane = this.lanes.get(key) as SchedulerJob[];
        const job = lane.shift() as SchedulerJob;
        this.running += 1;
        let pending: Promise<void> | undefined;
        try {
          pending = job();
        } catch {
          pending = undefined;
        }
        if (pending === undefined) this.finished(key, lane);
        else {
          const after = () => {
            this.finished(key, lane);
            this.pump();
          };
          pending.then(after, after);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private finished(key: string, lane: SchedulerJob[]): void {
    this.running -= 1;
    this.queued -= 1;
    if (lane.length > 0) this.ready.push(key);
    else this.lanes.delete(key);
    if (this.queued === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
