/**
 * Issue 2 benchmarks on the local PostgreSQL: appends (single events to new streams on 1 and 8
 * connections, batches of 100) and a 200,000-event catch-up read, each beside raw `pg` doing the
 * equivalent work on an identical table (same columns, constraints and indexes) and, for single
 * appends, beside Emmett's PostgreSQL event store. All in a throwaway database.
 */
import { randomUUID } from 'node:crypto';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { createPostgresEventStore, type PostgresEventStore } from '@eventfold/postgres';
import pg from 'pg';
import { type Contender, eventData, inLanes, timed, type Workload } from '../lib.js';

const adminUrl = process.env.EVENTFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `eventfold_bench_${process.pid}`;
const benchUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();

const SINGLE_APPENDS = Number(process.env.BENCH_SINGLE_APPENDS ?? 2000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 100);
const READ_EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 200_000);
const PAGE = 1000;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let run = 0;
const streamName = (prefix: string) => `${prefix}-${++run}-${randomUUID()}`;
const payload = (i: number) => JSON.stringify(eventData(i));

interface Stack {
  store: PostgresEventStore;
  raw: pg.Pool;
  emmett: ReturnType<typeof getPostgreSQLEventStore>;
  emmettPool: pg.Pool;
}

async function openStack(connections: number): Promise<Stack> {
  const store = await createPostgresEventStore({ connectionString: benchUrl, schema: 'eventfold', maxConnections: connections });
  const raw = new pg.Pool({ connectionString: benchUrl, max: connections });
  // The anchor writes the same rows into a table identical to Eventfold's (columns, defaults, constraints, indexes).
  await raw.query('CREATE SCHEMA IF NOT EXISTS raw; CREATE TABLE IF NOT EXISTS raw.events (LIKE eventfold.events INCLUDING ALL)');
  const emmettPool = new pg.Pool({ connectionString: benchUrl, max: connections });
  const emmett = getPostgreSQLEventStore(benchUrl, { connectionOptions: { pool: emmettPool } });
  await emmett.appendToStream(streamName('warmup'), [{ type: 'OrderPlaced', data: eventData(0) }]); // runs Emmett's migrations
  return { store, raw, emmett, emmettPool };
}

async function closeStack(stack: Stack): Promise<void> {
  await stack.store.close();
  await stack.raw.end();
  await stack.emmett.close?.();
  await stack.emmettPool.end().catch(() => undefined);
}

const RAW_INSERT = `INSERT INTO raw.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at)
  VALUES ($1, 1, $2, 'OrderPlaced', 1, $3::json, $4::json, now())`;

function singleAppendContenders(stackRef: { current?: Stack }, connections: number): [Contender, Contender[]] {
  const n = SINGLE_APPENDS * (connections > 1 ? 2 : 1);
  const stack = () => stackRef.current as Stack;
  return [
    {
      name: 'eventfold appendToStream',
      run: () =>
        timed(n, () =>
          inLanes(n, connections, (i) =>
            stack().store.appendToStream(streamName('ef'), [{ type: 'OrderPlaced', data: eventData(i) }], { expectedVersion: 'no_stream' }),
          ),
        ),
    },
    [
      {
        name: 'raw pg INSERT (one transaction each)',
        run: () => timed(n, () => inLanes(n, connections, (i) => stack().raw.query(RAW_INSERT, [streamName('raw'), randomUUID(), payload(i), '{}']))),
      },
      {
        name: 'emmett-postgresql appendToStream',
        run: () =>
          timed(n, () => inLanes(n, connections, (i) => stack().emmett.appendToStream(streamName('em'), [{ type: 'OrderPlaced', data: eventData(i) }]))),
      },
    ],
  ];
}

export async function workloads(): Promise<Workload[]> {
  const one: { current?: Stack } = {};
  const eight: { current?: Stack } = {};
  const batch: { current?: Stack } = {};
  const read: { current?: Stack } = {};
  const [ef1, anchors1] = singleAppendContenders(one, 1);
  const [ef8, anchors8] = singleAppendContenders(eight, 8);
  const setupDatabase = async () => {
    await admin(`DROP DATABASE IF EXISTS ${database}`);
    await admin(`CREATE DATABASE ${database}`);
  };
  const dropDatabase = () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);

  return [
    {
      id: 'postgres.append.single.1conn',
      description: `single-event appends to new streams, 1 connection, ${SINGLE_APPENDS} per round, ~400-byte events`,
      unit: 'events',
      eventfold: ef1,
      anchors: anchors1,
      targets: [
        { anchor: 'raw pg INSERT (one transaction each)', minRatio: 0.85 },
        { anchor: 'emmett-postgresql appendToStream', minRatio: 1.3 },
      ],
      setup: async () => {
        await setupDatabase();
        one.current = await openStack(1);
      },
      teardown: async () => {
        await closeStack(one.current as Stack);
      },
    },
    {
      id: 'postgres.append.single.8conn',
      description: `single-event appends to new streams, 8 connections, ${SINGLE_APPENDS * 2} per round`,
      unit: 'events',
      eventfold: ef8,
      anchors: anchors8,
      targets: [
        { anchor: 'raw pg INSERT (one transaction each)', minRatio: 0.85 },
        { anchor: 'emmett-postgresql appendToStream', minRatio: 1.3 },
      ],
      setup: async () => {
        eight.current = await openStack(8);
      },
      teardown: async () => {
        await closeStack(eight.current as Stack);
      },
    },
    {
      id: 'postgres.append.batch100',
      description: `batches of 100 events to one stream, ${BATCHES} batches per round, 1 connection`,
      unit: 'events',
      eventfold: {
        name: 'eventfold appendToStream (100 events)',
        run: async () => {
          const s = batch.current as Stack;
          const stream = streamName('efb');
          return timed(BATCHES * 100, async () => {
            for (let b = 0; b < BATCHES; b++) {
              await s.store.appendToStream(
                stream,
                Array.from({ length: 100 }, (_, i) => ({ type: 'OrderPlaced', data: eventData(b * 100 + i) })),
                { expectedVersion: b * 100 },
              );
            }
          });
        },
      },
      anchors: [
        {
          name: 'raw pg multi-row INSERT (100 rows)',
          run: async () => {
            const s = batch.current as Stack;
            const stream = streamName('rawb');
            const values = Array.from(
              { length: 100 },
              (_, i) => `($1, $${i * 3 + 2}, $${i * 3 + 3}, 'OrderPlaced', 1, $${i * 3 + 4}::json, '{}'::json, now())`,
            ).join(', ');
            const sql = `INSERT INTO raw.events (stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at) VALUES ${values}`;
            return timed(BATCHES * 100, async () => {
              for (let b = 0; b < BATCHES; b++) {
                const params: unknown[] = [stream];
                for (let i = 0; i < 100; i++) params.push(b * 100 + i + 1, randomUUID(), payload(b * 100 + i));
                await s.raw.query(sql, params);
              }
            });
          },
        },
      ],
      targets: [{ anchor: 'raw pg multi-row INSERT (100 rows)', minRatio: 0.8 }],
      setup: async () => {
        batch.current = await openStack(1);
      },
      teardown: async () => {
        await closeStack(batch.current as Stack);
      },
    },
    {
      id: 'postgres.read.catchup200k',
      description: `catch-up read of ${READ_EVENTS.toLocaleString('en-US')} events in pages of ${PAGE}`,
      unit: 'events',
      rounds: 3,
      eventfold: {
        name: 'eventfold readAll (gap-free order)',
        run: async () => {
          const s = read.current as Stack;
          return timed(READ_EVENTS, async () => {
            let after = 0n;
            let count = 0;
            for (;;) {
              const page = await s.store.readAll({ after, maxCount: PAGE });
              if (page.length === 0) break;
              count += page.length;
              after = page[page.length - 1]?.globalPosition as bigint;
            }
            if (count !== READ_EVENTS) throw new Error(`read ${count} events, expected ${READ_EVENTS}`);
          });
        },
      },
      anchors: [
        {
          name: 'raw pg keyset paging',
          run: async () => {
            const s = read.current as Stack;
            return timed(READ_EVENTS, async () => {
              let after = '0';
              let count = 0;
              for (;;) {
                const { rows } = await s.raw.query(
                  'SELECT global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata, occurred_at FROM raw.events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
                  [after, PAGE],
                );
                if (rows.length === 0) break;
                count += rows.length;
                after = rows[rows.length - 1].global_position;
              }
              if (count !== READ_EVENTS) throw new Error(`raw read ${count} events, expected ${READ_EVENTS}`);
            });
          },
        },
      ],
      targets: [{ anchor: 'raw pg keyset paging', minRatio: 0.75 }],
      setup: async () => {
        await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin(`CREATE DATABASE ${database}`);
        read.current = await openStack(4);
        const s = read.current;
        await inLanes(READ_EVENTS / 1000, 4, (b) =>
          s.store.appendToStream(
            `read-${b}`,
            Array.from({ length: 1000 }, (_, i) => ({ type: 'OrderPlaced', data: eventData(b * 1000 + i) })),
          ),
        );
        await s.raw.query('INSERT INTO raw.events OVERRIDING SYSTEM VALUE SELECT * FROM eventfold.events');
        await s.raw.query('VACUUM ANALYZE raw.events');
        await s.raw.query('VACUUM ANALYZE eventfold.events');
      },
      teardown: async () => {
        await closeStack(read.current as Stack);
        await dropDatabase();
      },
    },
  ];
}
