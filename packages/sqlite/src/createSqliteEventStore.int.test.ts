import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventStoreConformance } from '@eventfold/core/testing';
import { afterAll } from 'vitest';
import { createSqliteEventStore } from './createSqliteEventStore.js';

const dir = mkdtempSync(join(tmpdir(), 'eventfold-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeEventStoreConformance('SQLite file', {
  createStore: async ({ clock, maxEventBytes }) => createSqliteEventStore({ path: join(dir, `store-${++n}.db`), clock, maxEventBytes }),
});
