/**
 * Durable timers: deadlines kept in a database and fired at-least-once, also after a restart. A
 * timer is only a reminder — whoever fires it (the saga runner) decides again from the saga's own
 * state, so a timer that fires twice, or late for a finished saga, changes nothing.
 * Implementations: in memory (here), SQLite and PostgreSQL (`createSqliteTimerStore`, `createPostgresTimerStore`).
 */
import type { JsonValue } from '../envelope.js';
import { InvalidInputError } from '../errors.js';

export interface DurableTimer {
  /** Unique; scheduling an id again changes nothing. */
  readonly id: string;
  /** Who fires it, e.g. `saga:OrderFulfilment`; each runner reads only its own timers. */
  readonly owner: string;
  /** What it is about, e.g. the saga id. */
  readonly key: string;
  readonly dueAt: Date;
  readonly payload: JsonValue;
}

export interface TimerStore {
  /** Stores timers. An id already stored — pending, fired or cancelled — is left as it is. */
  schedule(timers: readonly DurableTimer[]): Promise<void>;
  /** Timers of `owner` due at `now` and not yet fired, earliest first. */
  due(owner: string, now: Date, limit?: number): Promise<DurableTimer[]>;
  /** Marks timers fired (or no longer needed): `due` never returns them again. */
  markFired(ids: readonly string[]): Promise<void>;
  /** How many timers of `owner` have not fired. */
  pending(owner: string): Promise<number>;
}

export function assertTimers(timers: readonly DurableTimer[]): void {
  timers.forEach((t, i) => {
    const path = `timers[${i}]`;
    for (const field of ['id', 'owner', 'key'] as const) {
      if (typeof t[field] !== 'string' || t[field].length === 0 || t[field].length > 500) {
        throw new InvalidInputError(`${path}.${field}`, 'must be a non-empty string of at most 500 characters.');
      }
    }
    if (!(t.dueAt instanceof Date) || Number.isNaN(t.dueAt.getTime())) throw new InvalidInputError(`${path}.dueAt`, 'must be a valid Date.');
  });
}

export interface InMemoryTimerStore extends TimerStore {
  /** Every timer ever scheduled, with whether it fired. */
  all(): { timer: DurableTimer; fired: boolean }[];
}

/** Timers in process memory: for tests and the simulation (they do not survive a restart of the process). */
export function createInMemoryTimerStore(): InMemoryTimerStore {
  const timers = new Map<string, { timer: DurableTimer; fired: boolean }>();
  return {
    async schedule(list) {
      assertTimers(list);
      for (const timer of list) if (!timers.has(timer.id)) timers.set(timer.id, { timer, fired: false });
    },
    async due(owner, now, limit = 100) {
      return [...timers.values()]
        .filter((t) => !t.fired && t.timer.owner === owner && t.timer.dueAt.getTime() <= now.getTime())
        .sort((a, b) => a.timer.dueAt.getTime() - b.timer.dueAt.getTime() || (a.timer.id < b.timer.id ? -1 : 1))
        .slice(0, limit)
        .map((t) => t.timer);
    },
    async markFired(ids) {
      for (const id of ids) {
        const entry = timers.get(id);
        if (entry) entry.fired = true;
      }
    },
    async pending(owner) {
      return [...timers.values()].filter((t) => !t.fired && t.timer.owner === owner).length;
    },
    all: () => [...timers.values()].map((t) => ({ ...t })),
  };
}
