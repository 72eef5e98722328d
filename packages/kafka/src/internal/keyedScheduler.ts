/**
 * Runs tasks with bounded concurrency while keeping per-key order: tasks of one key run one at a
 * time in submission order; tasks of different keys run in parallel up to `concurrency`.
 */
export class KeyedScheduler {
  private readonly queues = new Map<string, Array<{ tag: string; run: () => void | Promise<void> }>>();
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

  /** Queues `task` behind earlier tasks of `key`; `tag` lets `clearQueued` drop one source's tasks. */
  submit(key: string, task: () => void | Promise<void>, tag = ''): void {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
    }
    queue.push({ tag, run: task });
    if (!this.busy.has(key) && queue.length === 1) this.ready.push(key);
    this.pump();
  }

  /** Drops tasks with `tag` that have not started; running ones finish. Returns how many were dropped. */
  clearQueued(tag = ''): number {
    let dropped = 0;
    for (const [key, queue] of this.queues) {
      const kept = queue.filter((t) => t.tag !== tag);
      dropped += queue.length - kept.length;
      queue.splice(0, queue.length, ...kept);
      if (queue.length === 0 && !this.busy.has(key)) this.queues.delete(key);
    }
    for (let i = this.ready.length - 1; i >= 0; i -= 1) if (!this.queues.has(this.ready[i] as string)) this.ready.splice(i, 1);
    return dropped;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      const queue = this.queues.get(key);
      const task = queue?.shift();
      if (task === undefined) {
        if (queue?.length === 0 && !this.busy.has(key)) this.queues.delete(key);
        continue;
      }
      this.busy.add(key);
      this.running += 1;
      const finish = () => {
        this.running -= 1;
        this.busy.delete(key);
        const rest = this.queues.get(key);
        if (rest && rest.length > 0) this.ready.push(key);
        else this.queues.delete(key);
      };
      let result: void | Promise<void>;
      try {
        result = task.run();
      } catch {
        result = undefined;
      }
      // A task that finished synchronously is settled inline (no promise hops, no recursion): the loop goes on.
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        const done = () => {
          finish();
          this.pump();
        };
        (result as Promise<void>).then(done, done);
      } else {
        finish();
      }
    }
  }
}
