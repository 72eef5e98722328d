/**
 * WAL checkpoints on a worker thread. In WAL mode a commit appends the pages it changed to the WAL;
 * a checkpoint copies them back into the database file (reads, writes, two fsyncs). By default the
 * connection that commits runs it, inline, once the WAL passes 1,000 pages — on the event loop, in
 * the middle of a group commit. Here a worker thread with its own connection runs a PASSIVE
 * checkpoint every `intervalMs` (it never blocks a writer and never waits for one), so the event
 * loop only writes the WAL. The store's connection keeps a high `wal_autocheckpoint` as a safety net:
 * should the worker fall behind or fail, the WAL is still checkpointed (then on the event loop), so it
 * never grows without bound. Durability is unchanged: a checkpoint only moves committed pages.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker, as CommonJS source (an eval worker needs no file of its own, built or not). */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let timer;
const tick = () => {
  try {
    checkpoint.get();
  } catch (error) {
    // SQLITE_BUSY: another checkpoint is running (the safety net); try again on the next tick.
    if (!String(error && error.code).startsWith('SQLITE_BUSY')) {
      parentPort.postMessage({ failed: String(error && error.message ? error.message : error) });
      db.close();
      parentPort.close();
      return;
    }
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(tick, workerData.intervalMs);
`;

export interface BackgroundCheckpoint {
  /** Stops the worker and closes its connection (before the store closes its own). */
  stop(): Promise<void>;
}

export interface BackgroundCheckpointOptions {
  path: string;
  intervalMs: number;
  /** Called when the worker gave up (its error): the store's own checkpoints take over. */
  onFailure: (reason: string) => void;
}

export function startBackgroundCheckpoint(options: BackgroundCheckpointOptions): BackgroundCheckpoint {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // No loader flags (tsx, conditions) in the worker: it is plain CommonJS.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driver, path: options.path, intervalMs: options.intervalMs } });
  worker.unref();
  let failed = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    options.onFailure(reason);
  };
  worker.on('message', (message: { failed?: string }) => {
    if (message.failed !== undefined) fail(message.failed);
  });
  worker.on('error', (error) => fail(error.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      // A worker that does not answer (stuck in a checkpoint past any reason) is ended.
      const timeout = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
