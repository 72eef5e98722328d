/**
 * Runs items with bounded concurrency while keeping per-key order: items of one key run one at a
 * time in submission order; items of different keys run in parallel up to `concurrency`.
 *
 * The runner is fixed at construction, so submitting allocates nothing but the caller's item; an
 * item whose key is idle while a slot is free starts at once without being queued, and a synchronous
 * run settles inline (no promise, no closure). Only work that must wait is queued.
 */
export class KeyedScheduler<T> {
  /** Waiting items per key, for keys that have some. */
  private readonly queues = new Map<string, Array<{ tag: string; item: T }>>();
  /** Keys with waiting items and no running item, first come first served. */
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  private waiting = 0;

  constructor(
    private readonly concurrency: number,
    private readonly run: (item: T) => void | PromiseLike<void>,
  ) {}

  /** Items submitted and not finished (queued or running). */
  get size(): number {
    return this.running + this.waiting;
  }

  get active(): number {
    return this.running;
  }

  /** Runs `item` after earlier items of `key`; `tag` lets `clearQueued` drop one source's items. */
  submit(key: string, item: T, tag = ''): void {
    // An idle key with nothing queued starts now when a slot is free and no other key waits for one.
    if (this.running < this.concurrency && this.ready.length === 0 && !this.busy.has(key) && !this.queues.has(key)) {
      this.start(key, item);
      if (this.ready.length > 0) this.pump();
      return;
    }
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
      if (!this.busy.has(key)) this.ready.push(key);
    }
    queue.push({ tag, item });
    this.waiting += 1;
    this.pump();
  }

  /** Drops items with `tag` that have not started; running ones finish. Returns how many were dropped. */
  clearQueued(tag = ''): number {
    let dropped = 0;
    for (const [key, queue] of this.queues) {
      const kept = queue.filter((t) => t.tag !== tag);
      dropped += queue.length - kept.length;
      if (kept.length === 0) this.queues.delete(key);
      else queue.splice(0, queue.length, ...kept);
    }
    this.waiting -= dropped;
    for (let i = this.ready.length - 1; i >= 0; i -= 1) if (!this.queues.has(this.ready[i] as string)) this.ready.splice(i, 1);
    return dropped;
  }

  private start(key: string, item: T): void {
    this.busy.add(key);
    this.running += 1;
    let result: void | PromiseLike<void>;
    try {
      result = this.run(item);
    } catch {
      result = undefined;
    }
    if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === 'function') {
      const done = () => {
        this.finish(key);
        this.pump();
      };
      (result as PromiseLike<void>).then(done, done);
    } else {
      this.finish(key);
    }
  }

  private finish(key: string): void {
    this.running -= 1;
    this.busy.delete(key);
    // Items of this key submitted meanwhile wait in its queue; the key becomes ready again.
    if (this.queues.has(key)) this.ready.push(key);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      const queue = this.queues.get(key);
      const next = queue?.shift();
      if (queue === undefined || next === undefined) continue;
      if (queue.length === 0) this.queues.delete(key);
      this.waiting -= 1;
      this.start(key, next.item);
    }
  }
}
