/**
 * Issue 3 benchmarks. (1) Loading a 10,050-event aggregate from its snapshot (taken every 100
 * events, so 50 events are replayed) vs replaying all of it; (2) the full replay vs a raw
 * `SELECT data` + `JSON.parse` + fold over the same table; (3) in-process command dispatch through
 * Eventfold's command bus vs @nestjs/cqrs's CommandBus in a minimal Nest application context, both
 * running the same decider work. (1)–(2) run on PostgreSQL when reachable, else on SQLite.
 */
import 'reflect-metadata';
import { deepStrictEqual } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommandBus, defineDecider, defineSnapshotPolicy, type EventStore, fold, loadAggregate, toEventList } from '@eventfold/core';
import { createPostgresEventStore } from '@eventfold/postgres';
import { createSqliteEventStore, type SqliteEventStore } from '@eventfold/sqlite';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus, CqrsModule, type ICommandHandler, CommandHandler as NestCommandHandler } from '@nestjs/cqrs';
import pg from 'pg';
import { eventData, timed, type Workload } from '../lib.js';

const adminUrl = process.env.EVENTFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `eventfold_bench_es_${process.pid}`;
const benchUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();
const EVENTS = 10_050;
const SNAPSHOT_EVERY = 100;
const LOADS = Number(process.env.BENCH_ES_LOADS ?? 20);
const COMMANDS = Number(process.env.BENCH_ES_COMMANDS ?? 200_000);

type Credited = { type: 'AccountCredited'; data: { amount: number; note: string } };
type Deposit = { type: 'DepositMoney'; data: { amount: number } };
interface Account {
  balance: number;
  deposits: number;
  lastNoteLength: number;
}

const account = defineDecider<Account, Deposit, Credited>({
  name: 'Account',
  eventTypes: ['AccountCredited'],
  initialState: () => ({ balance: 0, deposits: 0, lastNoteLength: 0 }),
  decide: (command) => ({ type: 'AccountCredited', data: { amount: command.data.amount, note: '' } }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount, deposits: state.deposits + 1, lastNoteLength: event.data.note.length }),
});
const snapshots = defineSnapshotPolicy<Account>({ everyEvents: SNAPSHOT_EVERY, stateVersion: 1 });

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface LoadStack {
  kind: 'PostgreSQL' | 'SQLite';
  store: EventStore;
  /**
   * The anchor: what a hand-written loader does — select each event's version, type and data in
   * stream order, JSON.parse the data, fold by type, and know the version it reached.
   */
  rawLoad: (streamId: string) => Promise<Account>;
  close: () => Promise<void>;
}

async function openLoadStack(): Promise<LoadStack> {
  try {
    await admin(`DROP DATABASE IF EXISTS ${database}`);
    await admin(`CREATE DATABASE ${database}`);
    const store = await createPostgresEventStore({ connectionString: benchUrl, schema: 'eventfold', maxConnections: 2 });
    const raw = new pg.Pool({ connectionString: benchUrl, max: 2 });
    return {
      kind: 'PostgreSQL',
      store,
      async rawLoad(streamId) {
        const { rows } = await raw.query<{ stream_position: string; type: string; data: string }>({
          name: 'raw-load',
          text: 'SELECT stream_position, type, data::text AS data FROM eventfold.events WHERE stream_id = $1 ORDER BY stream_position',
          values: [streamId],
        });
        let state = account.initialState();
        let version = 0;
        for (const row of rows) {
          state = account.evolve(state, { type: row.type, data: JSON.parse(row.data) } as Credited);
          version = Number(row.stream_position);
        }
        if (version !== EVENTS) throw new Error(`raw load reached version ${version}`);
        return state;
      },
      async close() {
        await store.close();
        await raw.end();
        await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      },
    };
  } catch (error) {
    process.stdout.write(`  (PostgreSQL unavailable: ${(error as Error).message}; using SQLite)\n`);
    const dir = mkdtempSync(join(tmpdir(), 'eventfold-bench-es-'));
    const store: SqliteEventStore = createSqliteEventStore({ path: join(dir, 'bench.db') });
    const select = store.db.prepare('SELECT stream_position, type, data FROM eventfold_events WHERE stream_id = ? ORDER BY stream_position');
    return {
      kind: 'SQLite',
      store,
      async rawLoad(streamId) {
        let state = account.initialState();
        let version = 0;
        for (const row of select.all(streamId) as Array<{ stream_position: number; type: string; data: string }>) {
          state = account.evolve(state, { type: row.type, data: JSON.parse(row.data) } as Credited);
          version = row.stream_position;
        }
        if (version !== EVENTS) throw new Error(`raw load reached version ${version}`);
        return state;
      },
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** Appends EVENTS credits in chunks of SNAPSHOT_EVERY, saving a snapshot wherever the policy would. */
async function seed(store: EventStore, streamId: string): Promise<void> {
  let state = account.initialState();
  for (let version = 0; version < EVENTS; version += SNAPSHOT_EVERY) {
    const chunk: Credited[] = Array.from({ length: Math.min(SNAPSHOT_EVERY, EVENTS - version) }, (_, i) => {
      const data = eventData(version + i, 300) as { amount: number; note: string };
      return { type: 'AccountCredited', data: { amount: data.amount, note: data.note } };
    });
    const appended = await store.appendToStream(streamId, chunk);
    state = fold(account, state, chunk);
    if (snapshots.shouldSnapshot({ state, version: appended.nextExpectedVersion, snapshotVersion: version, newEventTypes: [] })) {
      await store.snapshots.save({ streamId, streamVersion: appended.nextExpectedVersion, stateVersion: 1, state: snapshots.toSnapshot(state) as never });
    }
  }
}

function loadWorkloads(): Workload[] {
  let stack: LoadStack | undefined;
  const streamId = 'account-bench';
  const loads = (fn: () => Promise<unknown>) =>
    timed(LOADS, async () => {
      for (let i = 0; i < LOADS; i++) await fn();
    });
  const withSnapshot = () => loadAggregate((stack as LoadStack).store, streamId, account, { snapshots });
  const withoutSnapshot = () => loadAggregate((stack as LoadStack).store, streamId, account);
  const setup = async () => {
    stack = await openLoadStack();
    await seed(stack.store, streamId);
    const [a, b, c] = [await withSnapshot(), await withoutSnapshot(), await stack.rawLoad(streamId)];
    // The comparison only means something if all three arrive at the same state.
    if (a.snapshotVersion !== 10_000 || a.replayed !== 50) throw new Error(`snapshot load replayed ${a.replayed} events from version ${a.snapshotVersion}`);
    deepStrictEqual(a.state, b.state);
    deepStrictEqual(b.state, c);
    process.stdout.write(`  ${stack.kind}: ${EVENTS} events, states equal (balance ${c.balance.toFixed(2)})\n`);
  };
  const teardown = async () => {
    await stack?.close();
    stack = undefined;
  };
  return [
    {
      id: 'eventsourcing.load.snapshot',
      description: `load a ${EVENTS.toLocaleString('en-US')}-event aggregate: snapshot every ${SNAPSHOT_EVERY} (+50 events) vs full replay`,
      unit: 'loads',
      setup,
      teardown,
      eventfold: { name: 'eventfold loadAggregate (snapshot)', run: () => loads(withSnapshot) },
      anchors: [{ name: 'eventfold loadAggregate (no snapshot)', run: () => loads(withoutSnapshot) }],
      targets: [{ anchor: 'eventfold loadAggregate (no snapshot)', minRatio: 8, label: '≥ 8× loading without snapshots' }],
    },
    {
      id: 'eventsourcing.load.replay',
      description: `replay a ${EVENTS.toLocaleString('en-US')}-event aggregate: loadAggregate vs raw SELECT (version, type, data) + JSON.parse + fold on the same table`,
      unit: 'loads',
      setup,
      teardown,
      eventfold: { name: 'eventfold loadAggregate (no snapshot)', run: () => loads(withoutSnapshot) },
      anchors: [{ name: 'raw SELECT + JSON.parse + fold', run: () => loads(() => (stack as LoadStack).rawLoad(streamId)) }],
      targets: [{ anchor: 'raw SELECT + JSON.parse + fold', minRatio: 0.8, label: '≥ 0.8× raw SELECT + JSON.parse + fold' }],
    },
  ];
}

class NestDeposit {
  constructor(readonly data: { amount: number }) {}
}

function dispatchWorkload(): Workload {
  // The same handler work for both: decide + evolve on an in-memory account.
  let efState = account.initialState();
  let nestState = account.initialState();
  const handle = (state: Account, command: Deposit) => {
    let next = state;
    for (const event of toEventList(account.decide(command, state))) next = account.evolve(next, event);
    return next;
  };
  const efBus = createCommandBus<Deposit>();
  efBus.register('DepositMoney', (command) => {
    efState = handle(efState, command);
    return efState.deposits;
  });

  class DepositHandler implements ICommandHandler<NestDeposit> {
    async execute(command: NestDeposit): Promise<number> {
      nestState = handle(nestState, { type: 'DepositMoney', data: command.data });
      return nestState.deposits;
    }
  }
  // Nest's decorators applied as functions: the repo compiles TC39 decorators, Nest ships legacy ones.
  NestCommandHandler(NestDeposit)(DepositHandler);
  class AppModule {}
  Module({ imports: [CqrsModule.forRoot()], providers: [DepositHandler] })(AppModule);
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  let nestBus: CommandBus | undefined;

  return {
    id: 'eventsourcing.dispatch.commandbus',
    description: `${COMMANDS.toLocaleString('en-US')} in-process command dispatches, same decider work: Eventfold command bus vs @nestjs/cqrs CommandBus`,
    unit: 'commands',
    setup: async () => {
      app = await NestFactory.createApplicationContext(AppModule, { logger: false });
      await app.init();
      const bus = app.get(CommandBus);
      nestBus = bus;
      if ((await bus.execute(new NestDeposit({ amount: 1 }))) !== 1) throw new Error('Nest handler not wired');
      if ((await efBus.dispatch({ type: 'DepositMoney', data: { amount: 1 } })) !== 1) throw new Error('Eventfold handler not wired');
    },
    teardown: async () => {
      await app?.close();
    },
    eventfold: {
      name: 'eventfold createCommandBus',
      run: () =>
        timed(COMMANDS, async () => {
          for (let i = 0; i < COMMANDS; i++) await efBus.dispatch({ type: 'DepositMoney', data: { amount: i } });
        }),
    },
    anchors: [
      {
        name: '@nestjs/cqrs CommandBus',
        run: () =>
          timed(COMMANDS, async () => {
            const bus = nestBus as CommandBus;
            for (let i = 0; i < COMMANDS; i++) await bus.execute(new NestDeposit({ amount: i }));
          }),
      },
    ],
    targets: [{ anchor: '@nestjs/cqrs CommandBus', minRatio: 2, label: '≥ 2× @nestjs/cqrs CommandBus' }],
  };
}

export async function workloads(): Promise<Workload[]> {
  return [...loadWorkloads(), dispatchWorkload()];
}
