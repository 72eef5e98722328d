/** @eventfold/core/testing — the shared conformance suites and test helpers. Needs vitest and fast-check. */
export {
  type ConformanceContext,
  describeEventStoreConformance,
  type EventStoreConformanceOptions,
  type StoreFactoryOptions,
} from './eventStoreConformance.js';
