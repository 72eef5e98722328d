import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTimerStoreConformance } from '@eventfold/core/testing';
import { createSqliteEventStore } from '../createSqliteEventStore.js';
import { createSqliteTimerStore } from './createSqliteTimerStore.js';

let dir: string;
describeTimerStoreConformance('sqlite (file)', {
  async fresh() {
    dir = mkdtempSync(join(tmpdir(), 'eventfold-timers-'));
  },
  async open(clock) {
    const store = createSqliteEventStore({ path: join(dir, 'shop.db'), clock });
    return { store, timers: createSqliteTimerStore({ store, clock }), close: () => store.close() };
  },
  async remove() {
    rmSync(dir, { recursive: true, force: true });
  },
});
