/** @eventfold/postgres — the event store on PostgreSQL. */
export {
  createPostgresEventStore,
  type PostgresEventStore,
  type PostgresEventStoreOptions,
  type PostgresTransaction,
} from './createPostgresEventStore.js';
export { decodePosition, encodePosition } from './internal/position.js';
