/** The store transport with PostgreSQL as its log: the same conformance suite as every transport. */
import { createStoreTransport } from '@eventfold/core';
import { describeTransportConformance } from '@eventfold/core/testing';
import { createTestPostgresStore } from '../testing/index.js';

describeTransportConformance('store transport on PostgreSQL', {
  createTransport: async () => {
    const store = await createTestPostgresStore({ maxConnections: 5 });
    const transport = createStoreTransport({ store, pollIntervalMs: 20 });
    // Closing the transport also closes (and drops) its store's schema.
    const close = transport.close.bind(transport);
    return Object.assign(transport, {
      async close() {
        await close();
        await store.close();
      },
    });
  },
  timeoutMs: 10_000,
  quietMs: 200,
});
