import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { describeTransportConformance } from '../testing/transportConformance.js';
import { createStoreTransport } from './storeTransport.js';

describeTransportConformance('store transport (in-memory store)', {
  createTransport: async () => createStoreTransport({ store: createInMemoryEventStore(), pollIntervalMs: 20 }),
  timeoutMs: 5_000,
  quietMs: 150,
});
