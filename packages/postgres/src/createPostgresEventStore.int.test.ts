import { describeEventStoreConformance } from '@eventfold/core/testing';
import { createTestPostgresStore } from './testing/index.js';

describeEventStoreConformance('PostgreSQL', {
  createStore: ({ clock, maxEventBytes }) => createTestPostgresStore({ clock, maxEventBytes }),
  propertyRuns: 30,
});
