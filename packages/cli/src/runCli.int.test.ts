import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSagaOperator, createSagaRunner, type EventStore, type SagaRunner, sagaStreamId, type TimerStore } from '@eventfold/core';
import { createPostgresTimerStore } from '@eventfold/postgres';
import { createTestPostgresStore, testPostgresUrl } from '@eventfold/postgres/testing';
import { createSqliteEventStore, createSqliteTimerStore } from '@eventfold/sqlite';
import { afterAll, describe, expect, test } from 'vitest';
import { stock, stockSaga } from './fixtures/stockSaga.js';
import { runCli } from './runCli.js';

const sagaSpec = `${fileURLToPath(new URL('./fixtures/stockSaga.ts', import.meta.url))}#stockSaga`;

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}

/** Runs the saga runner over real replies until `orderId` is stuck on its failing compensation. */
async function driveToNeedsAttention(store: EventStore, timers: TimerStore, orderId: string) {
  const runner = createSagaRunner({ store, saga: stockSaga, timers, random: () => 0.5 });
  for (const [stream, type] of [
    ['order', 'OrderPlaced'],
    ['inventory', 'StockReserved'],
    ['payments', 'PaymentDeclined'],
    ['inventory', 'StockReleaseFailed'],
  ] as const) {
    await store.appendToStream(`${stream}-${orderId}`, [stock(type, orderId)]);
    await drainAll(runner, store);
  }
  const { state } = await createSagaOperator({ store, saga: stockSaga, timers }).status(orderId);
  expect(state.status).toBe('NeedsAttention');
}

/**
 * PostgreSQL's gap-free log hides events above the oldest open transaction in the database (other
 * tests' too), so one drain can stop short of our append: drain until the runner reached the head.
 */
async function drainAll(runner: SagaRunner, store: EventStore) {
  const head = await store.headPosition();
  for (let i = 0; i < 500; i++) {
    await runner.drain();
    if (runner.position >= head) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the saga runner did not reach the head of the log within 10 s');
}

interface Backend {
  name: string;
  /** Creates a store holding two stuck sagas (o1, o2) and one running one (o3); returns its --store URL. */
  prepare(): Promise<{ url: string; reopen(): Promise<{ store: EventStore; timers: TimerStore; close(): Promise<void> }> }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function seed(store: EventStore, timers: TimerStore) {
  await driveToNeedsAttention(store, timers, 'o1');
  await driveToNeedsAttention(store, timers, 'o2');
  await store.appendToStream('order-o3', [stock('OrderPlaced', 'o3')]);
  await drainAll(createSagaRunner({ store, saga: stockSaga, timers }), store);
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async prepare() {
      const dir = mkdtempSync(join(tmpdir(), 'eventfold-cli-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'store.db');
      const store = createSqliteEventStore({ path });
      await seed(store, createSqliteTimerStore({ store }));
      await store.close();
      return {
        url: `sqlite:${path}`,
        async reopen() {
          const s = createSqliteEventStore({ path });
          return { store: s, timers: createSqliteTimerStore({ store: s }), close: () => s.close() };
        },
      };
    },
  },
  {
    name: 'postgres',
    async prepare() {
      const store = await createTestPostgresStore();
      cleanups.push(() => store.close());
      const timers = await createPostgresTimerStore({ store });
      await seed(store, timers);
      return { url: `${testPostgresUrl}?schema=${store.schema}`, reopen: async () => ({ store, timers, close: async () => {} }) };
    },
  },
];

describe.each(backends)('eventfold saga … on $name', (backend) => {
  test('lists stuck sagas, shows one, retries one and resolves another; the saga log records both', async () => {
    const { url, reopen } = await backend.prepare();
    const common = ['--saga', sagaSpec, '--json'];

    const attention = await cli(['saga', 'attention', ...common], { EVENTFOLD_STORE: url });
    expect(attention).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse(attention.stdout) as { sagaId: string; step: string; phase: string }[];
    expect(listed.map((s) => s.sagaId).sort()).toEqual(['o1', 'o2']);
    expect(listed[0]).toMatchObject({ step: 'reserve', phase: 'compensation' });

    const human = await cli(['saga', 'attention', '--store', url, '--saga', sagaSpec]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^o1 {2}reserve \(compensation\), 1 attempt\(s\): /m);

    const status = await cli(['saga', 'status', 'o1', '--store', url, ...common]);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as { state: { status: string }; history: { type: string }[] };
    expect(shown.state.status).toBe('NeedsAttention');
    expect(shown.history.at(-1)?.type).toBe('SagaAttentionRequested');
    const statusText = await cli(['saga', 'status', 'o1', '--store', url, '--saga', sagaSpec]);
    expect(statusText.stdout).toContain('Stock "o1": NeedsAttention (step reserve, compensation');
    expect(statusText.stdout).toContain('SagaAttentionRequested');

    const retried = await cli(['saga', 'retry', 'o1', '--note', 'inventory API is back', '--store', url, ...common]);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout).state).toMatchObject({ status: 'Compensating', step: 'reserve', phase: 'compensation', tries: 1 });

    const resolved = await cli(['saga', 'resolve', 'o2', '--resolution', 'compensated', '--note', 'released by hand', '--store', url, '--saga', sagaSpec]);
    expect(resolved).toMatchObject({ code: 0, stdout: 'Resolved Stock "o2": now Compensated.\n' });

    const after = await cli(['saga', 'attention', '--store', url, ...common]);
    expect(JSON.parse(after.stdout)).toEqual([]);

    // The store itself says what happened: a retry re-issued the release, a resolve ended the saga.
    const opened = await reopen();
    try {
      const o1 = (await opened.store.readStream(sagaStreamId('Stock', 'o1'))).map((e) => e.type);
      expect(o1.slice(-2)).toEqual(['SagaManuallyRetried', 'SagaCommandIssued']);
      const o2 = await opened.store.readStream(sagaStreamId('Stock', 'o2'));
      expect(o2.at(-1)).toMatchObject({ type: 'SagaManuallyResolved', data: { resolution: 'Compensated', note: 'released by hand' } });
      // A release that now succeeds finishes the retried saga the normal way.
      await opened.store.appendToStream('inventory-o1', [stock('StockReleased', 'o1')]);
      await drainAll(createSagaRunner({ store: opened.store, saga: stockSaga, timers: opened.timers }), opened.store);
    } finally {
      await opened.close();
    }
    const final = await cli(['saga', 'status', 'o1', '--store', url, ...common]);
    expect(JSON.parse(final.stdout).state.status).toBe('Compensated');
  });

  test('unknown saga → exit 1 with the typed error; a saga that is not stuck → exit 1, state unchanged', async () => {
    const { url } = await backend.prepare();
    const missing = await cli(['saga', 'status', 'nope', '--store', url, '--saga', sagaSpec]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Saga Stock "nope" has no log');
    expect(missing.stderr).toContain('[EVENTFOLD_SAGA_NOT_FOUND]');
    const missingJson = await cli(['saga', 'retry', 'nope', '--store', url, '--saga', sagaSpec, '--json']);
    expect(missingJson.code).toBe(1);
    expect(JSON.parse(missingJson.stderr).error).toMatchObject({ code: 'EVENTFOLD_SAGA_NOT_FOUND', sagaId: 'nope' });

    const running = await cli(['saga', 'retry', 'o3', '--store', url, '--saga', sagaSpec]);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('[EVENTFOLD_SAGA_STATE]');
    const status = await cli(['saga', 'status', 'o3', '--store', url, '--saga', sagaSpec, '--json']);
    expect(JSON.parse(status.stdout).state.status).toBe('Running');
  });
});

describe('eventfold usage and bad input', () => {
  test('unknown or missing commands print usage and exit 2', async () => {
    for (const args of [[], ['sagas'], ['saga', 'restart', 'o1'], ['saga', 'status'], ['saga', 'attention', 'extra'], ['saga', 'status', 'o1', '--bogus']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: eventfold saga <command>');
      expect(r.stdout).toBe('');
    }
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('saga resolve <sagaId> --resolution');
  });

  test('a missing or bad store names the flag or variable and the fix, and never prints a password', async () => {
    const none = await cli(['saga', 'attention', '--saga', sagaSpec]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pass --store <url> or set EVENTFOLD_STORE');

    const fromEnv = await cli(['saga', 'attention', '--saga', sagaSpec], { EVENTFOLD_STORE: 'mysql://root:hunter2@db/x' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('EVENTFOLD_STORE: unsupported store "mysql://root:***@db/x"');
    expect(fromEnv.stderr).toContain('sqlite:<path to file>');
    expect(fromEnv.stderr).not.toContain('hunter2');

    const noFile = await cli(['saga', 'attention', '--saga', sagaSpec, '--store', 'sqlite:/nonexistent/dir/store.db']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('--store: no SQLite file at /nonexistent/dir/store.db');

    // A server that refuses the password: the error is reported, the password is not.
    const badLogin = await cli(['saga', 'attention', '--saga', sagaSpec, '--store', 'postgres://nobody:s3cret-pw@127.0.0.1:1/x']);
    expect(badLogin.code).toBe(1);
    expect(badLogin.stderr).not.toContain('s3cret-pw');
  });

  test('bad saga spec and bad resolve options exit 2 with what to fix', async () => {
    const store = 'sqlite:/nonexistent.db';
    const noSaga = await cli(['saga', 'attention', '--store', store]);
    expect(noSaga).toMatchObject({ code: 2 });
    expect(noSaga.stderr).toContain('pass --saga <module>#<export> or set EVENTFOLD_SAGA');
    const wrongExport = await cli(['saga', 'attention', '--store', store, '--saga', sagaSpec.replace('#stockSaga', '#nothing')]);
    expect(wrongExport.code).toBe(2);
    expect(wrongExport.stderr).toContain('no saga definition exported as "nothing"; it exports #stockSaga');
    const noResolution = await cli(['saga', 'resolve', 'o1', '--note', 'x', '--store', store, '--saga', sagaSpec]);
    expect(noResolution.code).toBe(2);
    expect(noResolution.stderr).toContain('--resolution: must be completed or compensated');
    const noNote = await cli(['saga', 'resolve', 'o1', '--resolution', 'completed', '--store', store, '--saga', sagaSpec]);
    expect(noNote.code).toBe(2);
    expect(noNote.stderr).toContain('--note: is required for resolve');
  });
});
