/**
 * The WAL checkpointed on a worker thread: pages reach the database file without any commit of the
 * store running a checkpoint, nothing is lost, and closing removes the WAL.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { createSqliteEventStore } from './createSqliteEventStore.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-sqlite-ckpt-'));
  dirs.push(dir);
  return join(dir, 'store.db');
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const events = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ type: 'Noted', data: { tag, i, text: 'x'.repeat(200) } }));

describe('background WAL checkpoint', () => {
  test('the worker moves committed pages into the database file; the store never checkpoints inline below its safety net', async () => {
    const path = scratch();
    const store = createSqliteEventStore({ path, backgroundCheckpoint: { intervalMs: 5 } });
    // The safety net is far above what this test writes: only the worker can checkpoint it.
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    const before = statSync(path).size;
    for (let i = 0; i < 40; i++) await store.appendToStream(`s-${i}`, events(20, `s-${i}`));
    // 800 events of ~300 bytes: well past the file's size at open, all of it in the WAL first.
    await until(() => statSync(path).size > before + 200_000, 'the database file holds the checkpointed pages');
    // What another connection reads from the file alone (the WAL emptied into it) is everything.
    await until(() => {
      const reader = new BetterSqlite3(path, { readonly: true });
      try {
        return (reader.prepare('SELECT count(*) FROM eventfold_events').pluck().get() as number) === 800;
      } finally {
        reader.close();
      }
    }, 'a reader sees every event');
    await store.close();
    // The worker closed first, so the store's connection was the last: it checkpointed and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = createSqliteEventStore({ path, backgroundCheckpoint: false });
    expect((await reopened.readAll({ maxCount: 10_000 })).length).toBe(800);
    expect(reopened.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await reopened.close();
  });

  test('an invalid interval is refused with the option named', () => {
    expect(() => createSqliteEventStore({ path: scratch(), backgroundCheckpoint: { intervalMs: 0 } })).toThrow(/backgroundCheckpoint\.intervalMs/);
  });
});
