/**
 * Turns `--store` / EVENTFOLD_STORE into an open event store and its timer store. Connection strings
 * can carry passwords, so nothing here ever prints one unredacted.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type EventStore, InvalidInputError, type TimerStore } from '@eventfold/core';
import { createPostgresEventStore, createPostgresTimerStore } from '@eventfold/postgres';
import { createSqliteEventStore, createSqliteTimerStore } from '@eventfold/sqlite';

export type StoreLocation = { kind: 'postgres'; connectionString: string; schema: string | undefined } | { kind: 'sqlite'; path: string };

export interface OpenedStore {
  store: EventStore;
  timers: TimerStore;
  close(): Promise<void>;
}

const FIX = 'use postgres://user@host:5432/db (optionally ?schema=name) or sqlite:<path to file>';

/** `source` names where the value came from (`--store` or `EVENTFOLD_STORE`), so the error can say what to fix. */
export function parseStoreUrl(value: string, source: string, cwd: string): StoreLocation {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new InvalidInputError(source, `"sqlite:" needs a file path; ${FIX}.`);
    return { kind: 'sqlite', path: resolve(cwd, path) };
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidInputError(source, `${redactStoreUrl(value)} is not a valid URL; ${FIX}.`);
    }
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: url.toString(), schema };
  }
  throw new InvalidInputError(source, `unsupported store "${redactStoreUrl(value)}"; ${FIX}.`);
}

/** The URL with any password replaced by `***`: safe for messages and logs. */
export function redactStoreUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
}

export async function openStore(location: StoreLocation, source: string): Promise<OpenedStore> {
  if (location.kind === 'sqlite') {
    // An operator tool must not create an empty store by mistyping a path.
    if (!existsSync(location.path)) throw new InvalidInputError(source, `no SQLite file at ${location.path}; point it at the store's existing file.`);
    const store = createSqliteEventStore({ path: location.path });
    return { store, timers: createSqliteTimerStore({ store }), close: () => store.close() };
  }
  const store = await createPostgresEventStore({
    connectionString: location.connectionString,
    maxConnections: 2,
    ...(location.schema ? { schema: location.schema } : {}),
  });
  try {
    return { store, timers: await createPostgresTimerStore({ store }), close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
