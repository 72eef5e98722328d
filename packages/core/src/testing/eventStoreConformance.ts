/**
 * The one conformance suite every EventStore runs (memory, SQLite, PostgreSQL). A new store is
 * done when this passes. Each test gets a fresh, empty store from the factory.
 */
import { afterEach, describe } from 'vitest';
import type { Clock } from '../clock.js';
import type { EventStore } from '../eventStore.js';
import { appendConformance } from './conformance/appendConformance.js';
import { badInputConformance } from './conformance/badInputConformance.js';
import { concurrencyConformance } from './conformance/concurrencyConformance.js';
import { readConformance } from './conformance/readConformance.js';
import { storageConformance } from './conformance/storageConformance.js';
import { subscriptionConformance } from './conformance/subscriptionConformance.js';

export interface StoreFactoryOptions {
  clock: Clock;
  maxEventBytes?: number;
}

export interface EventStoreConformanceOptions {
  /** Returns a new, empty store. The suite closes it after each test. */
  createStore: (options: StoreFactoryOptions) => Promise<EventStore>;
  /** Runs of each property test. Default 50. */
  propertyRuns?: number;
}

/** Shared by the conformance parts: opens stores and closes them after each test. */
export interface ConformanceContext {
  open(options?: Partial<StoreFactoryOptions>): Promise<EventStore>;
  propertyRuns: number;
}

export function describeEventStoreConformance(name: string, options: EventStoreConformanceOptions): void {
  describe(`EventStore conformance: ${name}`, () => {
    const opened: EventStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    const ctx: ConformanceContext = {
      async open(overrides = {}) {
        const store = await options.createStore({ clock: overrides.clock ?? { now: () => new Date() }, ...overrides });
        opened.push(store);
        return store;
      },
      propertyRuns: options.propertyRuns ?? 50,
    };
    appendConformance(ctx);
    concurrencyConformance(ctx);
    badInputConformance(ctx);
    readConformance(ctx);
    subscriptionConformance(ctx);
    storageConformance(ctx);
  });
}
