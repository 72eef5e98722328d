import { describe, expect, test, vi } from 'vitest';
import { createManualClock } from '../clock.js';
import type { RecordedEvent } from '../envelope.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createPositionWaiter } from './createPositionWaiter.js';
import { createProjectionRunner } from './createProjectionRunner.js';
import { createQueryBus } from './createQueryBus.js';
import { defineProjection } from './defineProjection.js';
import { formatProgress } from './formatProgress.js';
import { createMemoryProjectionTarget } from './projectionTarget.js';
import { ProjectionTimeoutError } from './projectionTimeoutError.js';

type Deposited = RecordedEvent<'AccountCredited', { amount: number }>;

function setup(options: { clock?: ReturnType<typeof createManualClock> } = {}) {
  const store = createInMemoryEventStore(options.clock ? { clock: options.clock } : {});
  const balances = new Map<string, number>();
  const projection = defineProjection<Map<string, number>, Deposited>({
    name: 'balances',
    reset: (model) => model.clear(),
    handlers: { AccountCredited: (event, model) => void model.set(event.streamId, (model.get(event.streamId) ?? 0) + event.data.amount) },
  });
  const runner = createProjectionRunner({
    store,
    projection,
    target: createMemoryProjectionTarget(balances, store.checkpoints),
    batchSize: 3,
    pollIntervalMs: 5,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const credit = (id: string, amount: number) => store.appendToStream(`account-${id}`, [{ type: 'AccountCredited', data: { amount } }]);
  return { store, balances, runner, credit };
}

describe('projection runner', () => {
  test('applies handled events, skips others, and checkpoints the last position read', async () => {
    const { store, balances, runner, credit } = setup();
    await credit('a', 5);
    await store.appendToStream('other-1', [{ type: 'SomethingHappened', data: {} }]);
    await credit('a', 7);
    await credit('b', 1);
    await runner.catchUp();
    expect(Object.fromEntries(balances)).toEqual({ 'account-a': 12, 'account-b': 1 });
    expect(await store.checkpoints.load('balances')).toBe(4n);
  });

  test('read-your-writes: a query waits until the projection reaches the position', async () => {
    const { balances, runner, credit } = setup();
    const queries = createQueryBus<{ type: 'GetBalance'; id: string }>({ waitForPosition: createPositionWaiter({ runners: [runner] }) });
    queries.register('GetBalance', (query) => balances.get(`account-${query.id}`) ?? 0);
    await runner.start();
    const { globalPosition } = await credit('a', 40);
    runner.wake();
    // Resolves with the new balance (a query that gave up would reject with ProjectionTimeoutError).
    await expect(
      queries.execute({ type: 'GetBalance', id: 'a' }, { consistency: { projection: 'balances', position: globalPosition, timeoutMs: 2000 } }),
    ).resolves.toBe(40);
    await runner.stop();
  });

  test('read-your-writes times out with a typed error when the projection does not catch up', async () => {
    const { runner, credit, store } = setup();
    await runner.start();
    await runner.pause();
    const { globalPosition } = await credit('a', 1);
    const wait = createPositionWaiter({ runners: [runner] });
    const error = await wait('balances', globalPosition, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProjectionTimeoutError);
    expect(error).toMatchObject({ code: 'EVENTFOLD_PROJECTION_TIMEOUT', retryable: true });
    // A waiter polling checkpoints (projection run elsewhere) times out the same way, then succeeds after resume.
    const remote = createPositionWaiter({ loadCheckpoint: (name) => store.checkpoints.load(name), pollIntervalMs: 5 });
    await expect(remote('balances', globalPosition, { timeoutMs: 30 })).rejects.toBeInstanceOf(ProjectionTimeoutError);
    runner.resume();
    await remote('balances', globalPosition, { timeoutMs: 2000 });
    await runner.stop();
  });

  test('pause holds the loop, resume continues; status reports position and lag', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T12:00:00Z'));
    const { balances, runner, credit } = setup({ clock });
    await runner.start();
    await runner.pause();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 5; i++) await credit('a', 1);
    clock.advance(90_000);
    await new Promise((r) => setTimeout(r, 30));
    const paused = await runner.status();
    expect(paused).toMatchObject({ state: 'paused', lagEvents: 5, lagSeconds: 90, headPosition: 5n });
    expect(balances.size).toBe(0);
    runner.resume();
    await runner.waitForPosition(5n, { timeoutMs: 2000 });
    expect(await runner.status()).toMatchObject({ state: 'running', position: 5n, lagEvents: 0, lagSeconds: 0 });
    expect(balances.get('account-a')).toBe(5);
    await runner.stop();
    expect((await runner.status()).state).toBe('stopped');
  });

  test('rebuild resets and replays with progress, equal to the incremental result', async () => {
    const { balances, runner, credit } = setup();
    for (let i = 0; i < 20; i++) await credit(String(i % 3), i);
    await runner.catchUp();
    const incremental = Object.fromEntries(balances);
    balances.set('account-a', 999);
    const progress: string[] = [];
    const final = await runner.rebuild({ batchSize: 6, onProgress: (p) => progress.push(formatProgress(p)) });
    expect(Object.fromEntries(balances)).toEqual(incremental);
    expect(final).toMatchObject({ processed: 20, done: true });
    expect(progress).toHaveLength(5);
    expect(progress[0]).toMatch(/^rebuild balances: 6 events/);
  });

  test('rebuild without reset and catchUp while running are refused with a fix', async () => {
    const store = createInMemoryEventStore();
    const projection = defineProjection<null>({ name: 'no-reset', handlers: { X: () => undefined } });
    const runner = createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(null, store.checkpoints), pollIntervalMs: 5 });
    await expect(runner.rebuild()).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT', path: 'projection.reset' });
    await runner.start();
    await expect(runner.catchUp()).rejects.toThrow(/already running/);
    await runner.stop();
  });

  test('a failing handler stops the runner with its error and the batch is not checkpointed', async () => {
    const store = createInMemoryEventStore();
    const projection = defineProjection<null>({
      name: 'fragile',
      handlers: {
        Boom: () => {
          throw new Error('handler broke');
        },
      },
    });
    const runner = createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(null, store.checkpoints), pollIntervalMs: 5 });
    await store.appendToStream('s', [{ type: 'Boom', data: {} }]);
    await runner.start();
    await expect(runner.done).rejects.toThrow('handler broke');
    expect((await runner.status()).state).toBe('failed');
    expect(await store.checkpoints.load('fragile')).toBeUndefined();
    await expect(runner.waitForPosition(1n, { timeoutMs: 100 })).rejects.toThrow('handler broke');
  });

  test('with a store that tells about its appends, idle polls back off and an append wakes the runner', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const inner = createInMemoryEventStore();
      const listeners = new Set<() => void>();
      let reads = 0;
      const store = {
        ...inner,
        readAll: (options?: Parameters<typeof inner.readAll>[0]) => {
          reads += 1;
          return inner.readAll(options);
        },
        appendToStream: async (...args: Parameters<typeof inner.appendToStream>) => {
          const result = await inner.appendToStream(...args);
          for (const listener of listeners) listener();
          return result;
        },
        onAppend: (listener: () => void) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
      const balances = new Map<string, number>();
      const projection = defineProjection<Map<string, number>, Deposited>({
        name: 'balances',
        handlers: { AccountCredited: (event, model) => void model.set(event.streamId, (model.get(event.streamId) ?? 0) + event.data.amount) },
      });
      const runner = createProjectionRunner({
        store,
        projection,
        target: createMemoryProjectionTarget(balances, inner.checkpoints),
        pollIntervalMs: 10,
        maxIdleMs: 80,
      });
      await runner.start();
      await vi.advanceTimersByTimeAsync(1_000);
      // Fixed 10 ms polls would read ~100 times; backing off 10, 20, 40, 80, 80 … reads ~15 times.
      expect(reads).toBeLessThan(20);
      expect(listeners.size).toBe(1);

      reads = 0;
      await store.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 3 } }]);
      // The wait in progress (up to 80 ms) ends within one poll interval of the append.
      await vi.advanceTimersByTimeAsync(10);
      expect(balances.get('account-a')).toBe(3);
      expect(reads).toBeLessThanOrEqual(2);

      // A stream of appends is read at most once per poll interval, not once per append.
      reads = 0;
      for (let i = 0; i < 10; i++) {
        await store.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 1 } }]);
        await vi.advanceTimersByTimeAsync(1);
      }
      await vi.advanceTimersByTimeAsync(10);
      expect(balances.get('account-a')).toBe(13);
      expect(reads).toBeLessThanOrEqual(3);
      await runner.stop();
      expect(listeners.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test('with a store that filters by type, the live loop reads only handled events and is current past unhandled ones', async () => {
    const inner = createInMemoryEventStore();
    const typedReads: string[][] = [];
    const store = {
      ...inner,
      async readAllOfTypes(options: { after?: bigint; maxCount?: number; types: readonly string[] }) {
        typedReads.push([...options.types]);
        const all = await inner.readAll({ ...(options.after !== undefined ? { after: options.after } : {}) });
        const matching = all.filter((e) => options.types.includes(e.type)).slice(0, options.maxCount ?? 1000);
        const full = matching.length === (options.maxCount ?? 1000);
        const scannedTo = full ? (matching.at(-1)?.globalPosition ?? 0n) : (all.at(-1)?.globalPosition ?? options.after ?? 0n);
        return { events: matching, scannedTo };
      },
    };
    const seen: string[] = [];
    const projection = defineProjection<null, Deposited>({
      name: 'typed',
      handlers: { AccountCredited: (event) => void seen.push(event.streamId) },
    });
    const runner = createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(null, inner.checkpoints), pollIntervalMs: 5 });
    await inner.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 1 } }]);
    await inner.appendToStream('other-1', [{ type: 'SomethingHappened', data: {} }]);
    await runner.start();
    await runner.waitForPosition(1n, { timeoutMs: 2000 });
    // The unhandled event's position is reached without a handled event after it (read-your-writes on any position).
    const { globalPosition } = await inner.appendToStream('other-2', [{ type: 'SomethingHappened', data: {} }]);
    await runner.waitForPosition(globalPosition, { timeoutMs: 2000 });
    expect(seen).toEqual(['account-a']);
    expect(typedReads.every((types) => types.length === 1 && types[0] === 'AccountCredited')).toBe(true);
    // The stored checkpoint stays at the last handled event; status reports how far the runner is current.
    expect(await inner.checkpoints.load('typed')).toBe(1n);
    expect(await runner.status()).toMatchObject({ position: globalPosition, lagEvents: 0 });
    await inner.appendToStream('account-b', [{ type: 'AccountCredited', data: { amount: 2 } }]);
    await runner.waitForPosition(4n, { timeoutMs: 2000 });
    expect(seen).toEqual(['account-a', 'account-b']);
    await runner.stop();
  });

  test('with a store that filters by type, a batch that failed is read again when the runner is started again', async () => {
    const inner = createInMemoryEventStore();
    const store = {
      ...inner,
      async readAllOfTypes(options: { after?: bigint; maxCount?: number; types: readonly string[] }) {
        const all = await inner.readAll({ ...(options.after !== undefined ? { after: options.after } : {}) });
        const matching = all.filter((e) => options.types.includes(e.type));
        return { events: matching, scannedTo: all.at(-1)?.globalPosition ?? options.after ?? 0n };
      },
    };
    let broken = true;
    const seen: string[] = [];
    const projection = defineProjection<null, Deposited>({
      name: 'typed-retry',
      handlers: {
        AccountCredited: (event) => {
          if (broken) throw new Error('target unavailable');
          seen.push(event.streamId);
        },
      },
    });
    const runner = createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(null, inner.checkpoints), pollIntervalMs: 5 });
    await inner.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 1 } }]);
    await inner.appendToStream('other-1', [{ type: 'SomethingHappened', data: {} }]);
    await runner.start();
    await expect(runner.done).rejects.toThrow('target unavailable');
    broken = false;
    await runner.stop();
    await runner.start();
    for (let i = 0; i < 400 && (await inner.checkpoints.load('typed-retry')) === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['account-a']);
    expect(await inner.checkpoints.load('typed-retry')).toBe(1n);
    await runner.stop();
  });
});
