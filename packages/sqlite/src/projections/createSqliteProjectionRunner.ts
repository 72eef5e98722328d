/** A projection runner writing its read model to the store's own SQLite database. */
import { createProjectionRunner, type Projection, type ProjectionRunner, type ProjectionRunnerOptions } from '@eventfold/core';
import type { Database } from 'better-sqlite3';
import type { SqliteEventStore } from '../createSqliteEventStore.js';
import { createSqliteProjectionTarget } from './createSqliteProjectionTarget.js';

export type SqliteProjectionRunnerOptions = Omit<ProjectionRunnerOptions<Database>, 'store' | 'projection' | 'target'>;

/**
 * @example
 * const runner = createSqliteProjectionRunner(store, balances, { batchSize: 500 });
 * await runner.start();
 */
export function createSqliteProjectionRunner(
  store: SqliteEventStore,
  projection: Projection<Database>,
  options: SqliteProjectionRunnerOptions = {},
): ProjectionRunner {
  return createProjectionRunner({ ...options, store, projection, target: createSqliteProjectionTarget(store) });
}
