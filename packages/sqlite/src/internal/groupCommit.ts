/**
 * Group commit: writes requested in the same turn of the event loop (appends, checkpoints,
 * projection batches, timers) share one IMMEDIATE transaction, each in a savepoint of its own, so
 * one write's conflict or bad input undoes only that write. A commit (WAL frames, write lock,
 * checkpoints of the WAL) costs several times an insert, so under concurrent load this multiplies
 * write throughput; a write alone waits one `setImmediate`. Every write keeps its own result or
 * error, and resolves only after the shared transaction committed.
 */
import type { Database } from 'better-sqlite3';

export interface GroupCommitWrite<T> {
  /** The write, run synchronously inside the shared transaction. */
  run: () => T;
  /** Runs once the transaction committed, before the caller hears of it (in-memory bookkeeping). */
  committed?: (result: T) => void;
}

export interface GroupCommit {
  write<T>(write: GroupCommitWrite<T>): Promise<T>;
}

interface Queued {
  write: GroupCommitWrite<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

export interface GroupCommitOptions {
  db: Database;
  /** Non-undefined once the store is closed: queued writes reject with it. */
  closedError: () => Error | undefined;
  /** Called once per committed batch, after the writes' `committed` callbacks. */
  afterCommit?: () => void;
  /**
   * Least time between two commits, in ms: a write queued sooner waits for the rest of it, so busy
   * moments make fewer, larger commits (each commit rewrites the pages it touches, hot index and
   * read-model pages included). A write after a quiet spell still commits at the next `setImmediate`.
   */
  minIntervalMs?: number;
}

export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  const { db } = options;
  let queue: Queued[] = [];
  let scheduled = false;
  let lastFlush = Number.NEGATIVE_INFINITY;
  const minInterval = options.minIntervalMs ?? 0;

  // Called inside the batch's transaction, better-sqlite3 turns this into SAVEPOINT … RELEASE, and
  // rolls back to the savepoint when the write throws.
  const savepoint = db.transaction((run: () => unknown) => run());
  const runBatch = db.transaction((batch: Queued[]) => {
    for (const item of batch) {
      try {
        item.outcome = { ok: true, value: savepoint(item.write.run) };
      } catch (error) {
        // SQLite rolled the whole transaction back (disk full, I/O error): fail the batch, nothing of it is written.
        if (!db.inTransaction) throw error;
        item.outcome = { ok: false, error };
      }
    }
  });

  function flush(): void {
    scheduled = false;
    lastFlush = performance.now();
    const batch = queue;
    queue = [];
    const closed = options.closedError();
    if (closed !== undefined) {
      for (const item of batch) item.reject(closed);
      return;
    }
    try {
      runBatch.immediate(batch);
    } catch (error) {
      // The transaction itself failed (locked past the busy timeout, disk full): nothing of it was written.
      for (const item of batch) item.outcome = { ok: false, error };
    }
    let committed = false;
    for (const item of batch) {
      if (item.outcome?.ok !== true) continue;
      committed = true;
      item.write.committed?.(item.outcome.value);
    }
    if (committed) options.afterCommit?.();
    for (const item of batch) {
      const outcome = item.outcome ?? { ok: false, error: new Error('group commit: write was not run') };
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    }
  }

  return {
    write<T>(write: GroupCommitWrite<T>) {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write: write as GroupCommitWrite<unknown>, resolve: resolve as (result: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          const wait = lastFlush + minInterval - performance.now();
          if (wait >= 1) setTimeout(flush, wait);
          else setImmediate(flush);
        }
      });
    },
  };
}
