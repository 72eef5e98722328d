/**
 * Durable timers on SQLite, in the store's own file: a deadline written here survives a crash and
 * is returned by `due` until marked fired, so it fires at-least-once, also after a restart.
 *
 *   eventfold_timers(id PK, owner, key, due_at ms, payload JSON, fired_at ms | NULL)
 *   partial index (owner, due_at) WHERE fired_at IS NULL — `due` reads only pending rows.
 */
import { assertTimers, type Clock, type DurableTimer, type JsonValue, systemClock, type TimerStore } from '@eventfold/core';
import type { Database } from 'better-sqlite3';

export interface SqliteTimerStoreOptions {
  /**
   * The store (or any holder of the better-sqlite3 connection) whose file keeps the timers. With the
   * store's `write`, timer writes join its group commit instead of committing one by one.
   */
  store: { readonly db: Database; write?: (fn: () => void) => Promise<void> };
  clock?: Clock;
}

interface TimerRow {
  id: string;
  owner: string;
  key: string;
  due_at: number;
  payload: string;
}

/**
 * @example
 * const store = createSqliteEventStore({ path: './data/shop.db' });
 * const runner = createSagaRunner({ store, saga, timers: createSqliteTimerStore({ store }) });
 */
export function createSqliteTimerStore(options: SqliteTimerStoreOptions): TimerStore {
  const { db } = options.store;
  const clock = options.clock ?? systemClock;
  db.exec(`
    CREATE TABLE IF NOT EXISTS eventfold_timers (
      id       TEXT    PRIMARY KEY,
      owner    TEXT    NOT NULL,
      key      TEXT    NOT NULL,
      due_at   INTEGER NOT NULL,
      payload  TEXT    NOT NULL,
      fired_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS eventfold_timers_pending ON eventfold_timers (owner, due_at) WHERE fired_at IS NULL;
  `);
  const q = {
    insert: db.prepare('INSERT INTO eventfold_timers (id, owner, key, due_at, payload) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    due: db.prepare<[string, number, number], TimerRow>(
      'SELECT id, owner, key, due_at, payload FROM eventfold_timers WHERE owner = ? AND fired_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?',
    ),
    fire: db.prepare('UPDATE eventfold_timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL'),
    pending: db.prepare<[string], number>('SELECT count(*) FROM eventfold_timers WHERE owner = ? AND fired_at IS NULL').pluck(),
  };
  const scheduleAll = db.transaction((timers: readonly DurableTimer[]) => {
    for (const t of timers) q.insert.run(t.id, t.owner, t.key, t.dueAt.getTime(), JSON.stringify(t.payload ?? null));
  });
  const fireAll = db.transaction((ids: readonly string[], at: number) => {
    for (const id of ids) q.fire.run(at, id);
  });
  const write = async (fn: () => void): Promise<void> => {
    if (options.store.write) await options.store.write(fn);
    else fn();
  };
  return {
    async schedule(timers) {
      assertTimers(timers);
      await write(() => scheduleAll(timers));
    },
    async due(owner, now, limit = 100) {
      return q.due.all(owner, now.getTime(), limit).map((r) => ({
        id: r.id,
        owner: r.owner,
        key: r.key,
        dueAt: new Date(r.due_at),
        payload: JSON.parse(r.payload) as JsonValue,
      }));
    },
    async markFired(ids) {
      const at = clock.now().getTime();
      await write(() => fireAll(ids, at));
    },
    async pending(owner) {
      return q.pending.get(owner) ?? 0;
    },
  };
}
