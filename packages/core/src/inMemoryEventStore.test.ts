import { describeEventStoreConformance } from '@eventfold/core/testing';
import { createInMemoryEventStore } from './inMemoryEventStore.js';

describeEventStoreConformance('in-memory', {
  createStore: async ({ clock, maxEventBytes }) => createInMemoryEventStore({ clock, maxEventBytes }),
});
