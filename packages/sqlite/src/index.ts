/** @eventfold/sqlite — the embedded event store on SQLite. */
export { createSqliteEventStore, type SqliteEventStore, type SqliteEventStoreOptions, type SqliteTransaction } from './createSqliteEventStore.js';
export { createSqliteInbox, type InboxResult, type SqliteInbox, type SqliteInboxOptions } from './messaging/createSqliteInbox.js';
export { createSqliteRelayLease, type SqliteRelayLeaseOptions } from './messaging/createSqliteRelayLease.js';
export { createSqliteProjectionRunner, type SqliteProjectionRunnerOptions } from './projections/createSqliteProjectionRunner.js';
export { createSqliteProjectionTarget } from './projections/createSqliteProjectionTarget.js';
export { type InlineProjectionOptions, withSqliteInlineProjections } from './projections/withSqliteInlineProjections.js';
export { createSqliteTimerStore, type SqliteTimerStoreOptions } from './timers/createSqliteTimerStore.js';
