import { describeTransportConformance } from '../testing/transportConformance.js';
import { createInMemoryTransport } from './inMemoryTransport.js';

describeTransportConformance('in-memory', {
  createTransport: async () => createInMemoryTransport(),
  timeoutMs: 5_000,
  quietMs: 100,
});
