/**
 * Runs tasks with bounded concurrency while keeping per-key order: tasks of one key run one at a
 * time in submission order; tasks of different keys run in parallel up to `concurrency`.
 */
export class KeyedScheduler {
  private readonly queues = new Map<string, Array<() => Promise<void>>>();
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private running = 0;

  constructor(private readonly concurrency: number) {}

  /** Tasks submitted and not finished (queued or running). */
  get size(): number {
    let n = this.running;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  get active(): number {
    return this.running;
  }

  submit(key: string, task: () => Promise<void>): void {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
    }
    queue.push(task);
    if (!this.busy.has(key) && queue.length === 1) this.ready.push(key);
    this.pump();
  }

  /** Drops tasks that have not started; running ones finish. Returns how many were dropped. */
  clearQueued(): number {
    let dropped = 0;
    for (const [key, queue] of this.queues) {
      dropped += queue.length;
      if (!this.busy.has(key)) this.queues.delete(key);
      else queue.length = 0;
    }
    this.ready.length = 0;
    return dropped;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      const queue = this.queues.get(key);
      const task = queue?.shift();
      if (task === undefined) continue;
      this.busy.add(key);
      this.running += 1;
      void task()
        .catch(() => {})
        .finally(() => {
          this.running -= 1;
          this.busy.delete(key);
          const rest = this.queues.get(key);
          if (rest && rest.length > 0) this.ready.push(key);
          else this.queues.delete(key);
          this.pump();
        });
    }
  }
}
