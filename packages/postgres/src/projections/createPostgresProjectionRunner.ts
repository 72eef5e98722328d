/** A projection runner writing its read model to the store's own PostgreSQL database. */
import { createProjectionRunner, type Projection, type ProjectionRunner, type ProjectionRunnerOptions } from '@eventfold/core';
import type pg from 'pg';
import type { PostgresEventStore } from '../createPostgresEventStore.js';
import { createPostgresProjectionTarget } from './createPostgresProjectionTarget.js';

export type PostgresProjectionRunnerOptions = Omit<ProjectionRunnerOptions<pg.PoolClient>, 'store' | 'projection' | 'target'>;

/**
 * @example
 * const runner = createPostgresProjectionRunner(store, balances);
 * await runner.start();
 */
export function createPostgresProjectionRunner(
  store: PostgresEventStore,
  projection: Projection<pg.PoolClient>,
  options: PostgresProjectionRunnerOptions = {},
): ProjectionRunner {
  return createProjectionRunner({ ...options, store, projection, target: createPostgresProjectionTarget(store) });
}
