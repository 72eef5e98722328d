/**
 * Wraps an EventStore so every read path — readStream, readAll and subscriptions — returns events
 * lifted to their current schema version. Appends pass through unchanged; stored rows never change.
 */
import type { EventStore } from '../eventStore.js';
import type { UpcasterRegistry } from './defineUpcasters.js';

/**
 * @example
 * const store = withUpcasting(createSqliteEventStore({ path }), upcasters);
 * const events = await store.readStream('account-1'); // every event at its latest schemaVersion
 */
export function withUpcasting<TStore extends EventStore>(store: TStore, upcasters: UpcasterRegistry): TStore {
  const wrapped: EventStore = {
    appendToStream: (streamId, events, options) => store.appendToStream(streamId, events, options),
    readStream: async (streamId, options) => (await store.readStream(streamId, options)).map((e) => upcasters.upcast(e)),
    // Must be shadowed: through the prototype the inner store's lean read would skip the upcasters.
    readStreamForFold: async (streamId, options) => (await store.readStream(streamId, options)).map((e) => upcasters.upcast(e)),
    streamVersion: (streamId) => store.streamVersion(streamId),
    readAll: async (options) => (await store.readAll(options)).map((e) => upcasters.upcast(e)),
    headPosition: () => store.headPosition(),
    subscribe: (options) => store.subscribe({ ...options, handler: (event) => options.handler(upcasters.upcast(event)) }),
    get snapshots() {
      return store.snapshots;
    },
    get checkpoints() {
      return store.checkpoints;
    },
    close: () => store.close(),
  };
  // Store-specific extras (db, transaction, pool…) stay reachable through the prototype.
  return Object.setPrototypeOf(wrapped, store) as TStore;
}
