/**
 * Real concurrency on one SQLite file: several processes, each with its own connection, append to
 * the same stream at the same expected versions. No SQLITE_BUSY or other raw error may reach a caller.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { createSqliteEventStore } from './createSqliteEventStore.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'eventfold-sqlite-mp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const writer = fileURLToPath(new URL('./fixtures/contendedWriter.ts', import.meta.url));

it('50 writers in 5 processes x 20 rounds at one expected version: one success per version, the rest typed conflicts', async () => {
  const path = join(dir, 'contended.db');
  createSqliteEventStore({ path }).close(); // create the schema once
  const outputs = await Promise.all(
    Array.from({ length: 5 }, (_, p) =>
      run(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', writer, path, 'counter-1', '10', '20', String(p)], { timeout: 120_000 }),
    ),
  );
  const results = outputs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop() as string) as { successes: number; conflicts: number; other: string[] });
  const successes = results.reduce((n, r) => n + r.successes, 0);
  const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
  expect(results.flatMap((r) => r.other)).toEqual([]);
  expect(successes).toBe(20);
  expect(successes + conflicts).toBe(1000);
  const store = createSqliteEventStore({ path });
  const events = await store.readStream('counter-1');
  expect(events.map((e) => e.streamPosition)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(events.map((e) => (e.data as { round: number }).round)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  await store.close();
});

it('50 concurrent creators in 5 processes with no_stream: exactly one stream', async () => {
  const path = join(dir, 'creators.db');
  createSqliteEventStore({ path }).close();
  const outputs = await Promise.all(
    Array.from({ length: 5 }, (_, p) =>
      run(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', writer, path, 'created-1', '10', '1', String(p)], { timeout: 120_000 }),
    ),
  );
  const results = outputs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop() as string) as { successes: number; conflicts: number; other: string[] });
  expect(results.flatMap((r) => r.other)).toEqual([]);
  expect(results.reduce((n, r) => n + r.successes, 0)).toBe(1);
  expect(results.reduce((n, r) => n + r.conflicts, 0)).toBe(49);
  const store = createSqliteEventStore({ path });
  expect(await store.streamVersion('created-1')).toBe(1);
  await store.close();
});
