/** @eventfold/sqlite — the embedded event store on SQLite. */
export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions, type SqliteTransaction } from './createSqliteEventStore.js';
