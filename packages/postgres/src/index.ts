/** @eventfold/postgres — the event store on PostgreSQL. */
export {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
  type PostgresTransaction,
  type PostgresTransactionOptions,
  type TypedReadResult,
} from './createPostgresEventStore.js';
export { decodePosition, encodePosition } from './internal/position.js';
export { createPostgresInbox, type PostgresInbox, type PostgresInboxOptions, type PostgresInboxResult } from './messaging/createPostgresInbox.js';
export { createPostgresRelayLease, type PostgresRelayLeaseOptions } from './messaging/createPostgresRelayLease.js';
export { createPostgresProjectionRunner, type PostgresProjectionRunnerOptions } from './projections/createPostgresProjectionRunner.js';
export { createPostgresProjectionTarget } from './projections/createPostgresProjectionTarget.js';
export { type PostgresInlineProjectionOptions, withPostgresInlineProjections } from './projections/withPostgresInlineProjections.js';
export { createPostgresTimerStore, type PostgresTimerStoreOptions } from './timers/createPostgresTimerStore.js';
