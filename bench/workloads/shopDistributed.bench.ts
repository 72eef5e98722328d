/**
 * Issue 6 benchmark, distributed mode: four service processes (orders, payments, inventory, shipping)
 * on one PostgreSQL store and a broker, orders placed over real HTTP at an offered rate and followed
 * to their terminal state in the store's log. Each round starts a fresh schema and namespace and
 * removes them afterwards. Target (issue 6): ≥ 300 orders/s placed → terminal with p99 < 500 ms.
 * Latency runs from each placement request to the time its terminal event was recorded (not to the
 * 100 ms poll that saw it). The harness's orders/s counts the whole run, first placement to last
 * terminal state, so at an offered rate r it stays below r by the tail; each line also prints the
 * completion rate between the first and the last order to finish (`DriveResult.completionRate`).
 *
 * BENCH_SHOP_DIST_ORDERS (default 3,000) orders per round, BENCH_SHOP_DIST_RATE (default 330) orders/s
 * offered (0 = as fast as 64 placements in flight allow). Offered 330/s: at exactly 300/s the whole-run
 * figure cannot reach 300 (see `targets` below), so the bench offers a tenth more and the shop must keep up.
 *
 * Each round first drives BENCH_SHOP_DIST_WARMUP (default 3,000) orders at the offered rate
 * (BENCH_SHOP_DIST_WARMUP_RATE; default the offered rate, 300/s when that is 0) and waits for
 * them, unmeasured. The four processes start cold: module loading, connection pools, the broker's new
 * topics, and above all V8's optimising compiler. Sampled with `perf record -a` during a 280/s run,
 * TurboFan's background compilation was 15% of the whole machine's CPU 12–18 s after start and 3% at
 * 32–38 s, with the machine 3% idle in the first window and 10% in the second. The shop is a
 * long-running service, so the bench measures it warm; 0 measures from cold (session notes in
 * docs/benchmarks.md give both). Service processes get the rest of the environment, so tuning knobs
 * (SHOP_*) pass through.
 *
 * Both saga styles run in one bench run, rounds interleaved: Eventfold's contender is SHOP_SAGA_STYLE
 * (default orchestration, the shop's default) and the other style is its anchor.
 */

import { Agent, request } from 'node:http';
import { startDistributedRun } from '../../apps/shop/src/distributed/distributedRun.js';
import { driveOrdersThrough, type Injector } from '../../apps/shop/src/load/driveOrders.js';
import type { Measurement, Workload } from '../lib.js';

const POSTGRES = process.env.EVENTFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ORDERS = Number(process.env.BENCH_SHOP_DIST_ORDERS ?? 3_000);
const RATE = Number(process.env.BENCH_SHOP_DIST_RATE ?? 330);
const WARMUP = Number(process.env.BENCH_SHOP_DIST_WARMUP ?? 3_000);
const WARMUP_RATE = Number(process.env.BENCH_SHOP_DIST_WARMUP_RATE ?? (RATE > 0 ? RATE : 300));

/**
 * HTTP/1.1 with kept-alive sockets through node:http: the load generator shares the machine with what
 * it measures, and `fetch` (undici) cost it ~2 ms of CPU per order, a tenth of the whole system's.
 */
export function httpInjector(baseUrl: string): Injector {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    inject({ method, url, payload }) {
      const body = payload === undefined ? undefined : JSON.stringify(payload);
      return new Promise((resolve, reject) => {
        const req = request(
          `${baseUrl}${url}`,
          { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

type SagaStyle = 'orchestration' | 'choreography';
const STYLE: SagaStyle = process.env.SHOP_SAGA_STYLE === 'choreography' ? 'choreography' : 'orchestration';
const OTHER_STYLE: SagaStyle = STYLE === 'orchestration' ? 'choreography' : 'orchestration';

async function round(transportUrl: string, label: string, style: SagaStyle): Promise<Measurement> {
  const run = await startDistributedRun({ postgresUrl: POSTGRES, transportUrl, prefix: 'bench_dist', env: { SHOP_SAGA_STYLE: style } });
  try {
    const injector = httpInjector(run.url);
    if (WARMUP > 0) {
      const warm = await driveOrdersThrough(injector, run.feed, { orders: WARMUP, rate: WARMUP_RATE, timeoutMs: 300_000 });
      if (warm.unfinished > 0) throw new Error(`${warm.unfinished} of ${WARMUP} warm-up orders did not finish`);
    }
    const result = await driveOrdersThrough(injector, run.feed, { orders: ORDERS, rate: RATE, timeoutMs: 300_000 });
    if (result.unfinished > 0) throw new Error(`${result.unfinished} of ${ORDERS} orders did not finish`);
    const { p50, p90, p99, max } = result.latencyMs;
    process.stdout.write(
      `    shop distributed ${label}, ${style}: ${result.throughput.toFixed(0)} orders/s over the run, completing at ${result.completionRate.toFixed(0)}/s (offered ${RATE || 'max'}) · p50 ${p50.toFixed(0)} ms · p90 ${p90.toFixed(0)} ms · p99 ${p99.toFixed(0)} ms · max ${max.toFixed(0)} ms\n`,
    );
    return { operations: ORDERS, ms: result.elapsedMs, p99Ms: p99 };
  } finally {
    await run.close();
  }
}

function workload(id: string, label: string, transportUrl: string): Workload {
  return {
    id,
    description: `${ORDERS} orders at ${RATE || 'max'}/s placed → terminal over HTTP (after ${WARMUP} warm-up orders at ${WARMUP_RATE}/s), four processes on PostgreSQL + ${label}, ${STYLE} against ${OTHER_STYLE}`,
    unit: 'orders',
    eventfold: { name: `shop distributed ${label}, ${STYLE}`, run: () => round(transportUrl, label, STYLE) },
    anchors: [{ name: `shop distributed ${label}, ${OTHER_STYLE}`, run: () => round(transportUrl, label, OTHER_STYLE) }],
    // Issue 6's figure for a 2-core machine. The whole-run rate is bounded by the run's tail (n orders
    // at r/s, the last taking L ms: at most n / (n/r + L)), so meeting it takes an offered rate above 300/s.
    // Checked for each saga style: the figure holds for the shop whichever style it is configured with.
    targets: (['orchestration', 'choreography'] as const).map((style) => ({
      minPerSec: 300,
      maxP99Ms: 500,
      label: `≥ 300 orders/s with p99 < 500 ms (issue 6), ${style}`,
      contender: `shop distributed ${label}, ${style}`,
    })),
    rounds: 3,
    warmup: 0,
  };
}

/**
 * These runs start four processes and take minutes, and their ids contain "kafka" and "rabbitmq":
 * they join a filtered run only when the filter names the shop (`--filter shop.distributed`), so
 * `--filter kafka` keeps measuring the transport alone.
 */
function wanted(): boolean {
  const at = process.argv.indexOf('--filter');
  const filter = at >= 0 ? process.argv[at + 1] : process.argv.find((a) => a.startsWith('--filter='))?.slice('--filter='.length);
  return filter === undefined || filter.includes('shop');
}

export function workloads(): Workload[] {
  if (!wanted()) return [];
  return [
    workload('shop.distributed.kafka', 'Kafka', process.env.EVENTFOLD_BENCH_KAFKA_URL ?? 'kafka://127.0.0.1:9092'),
    workload('shop.distributed.rabbitmq', 'RabbitMQ', process.env.EVENTFOLD_BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672'),
  ];
}
