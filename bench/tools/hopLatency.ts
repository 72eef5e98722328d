/**
 * Where an order's time goes in a distributed shop run (not a benchmark: a diagnostic). Starts the four
 * service processes on a fresh schema (distributedRun.ts), drives unmeasured warm-up orders, drives the
 * measured ones, then reads the measured orders' events back from the log and prints, for each pair of
 * consecutive events of one order (its order, payment, reservation, shipment and saga streams), how
 * many orders had that step and the p50/p90/p99 of its gap by `occurredAt`. A gap between a service's event and
 * the next context's is one hop: relay, broker, consumer and handler.
 *
 *   node --conditions=@eventfold/source --import tsx bench/tools/hopLatency.ts
 *
 * Environment: ORDERS (600), RATE (100/s), WARMUP (200, driven at 100/s), BROKER (kafka | rabbitmq),
 * SHOP_SAGA_STYLE passes through to the services.
 */
import { startDistributedRun } from '../../apps/shop/src/distributed/distributedRun.js';
import { driveOrdersThrough } from '../../apps/shop/src/load/driveOrders.js';
import { httpInjector } from '../workloads/shopDistributed.bench.js';
import { closeOnExit } from './closeOnExit.js';

const ORDERS = Number(process.env.ORDERS ?? 600);
const RATE = Number(process.env.RATE ?? 100);
const WARMUP = Number(process.env.WARMUP ?? 200);
const BROKER = process.env.BROKER ?? 'kafka';
const ORDER_STREAM = /^(?:order|payment|reservation|shipment|saga-Fulfilment)-(.+)$/;

const run = await startDistributedRun({
  postgresUrl: process.env.EVENTFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  transportUrl: BROKER === 'rabbitmq' ? 'amqp://guest:guest@127.0.0.1:5672' : 'kafka://127.0.0.1:9092',
  prefix: 'hop_tool',
});
const closeRun = closeOnExit(run.close);
try {
  const injector = httpInjector(run.url);
  if (WARMUP > 0) await driveOrdersThrough(injector, run.feed, { orders: WARMUP, rate: 100, timeoutMs: 300_000 });
  const head = await run.store.headPosition();
  const result = await driveOrdersThrough(injector, run.feed, { orders: ORDERS, rate: RATE, timeoutMs: 300_000 });
  const { p50, p99 } = result.latencyMs;
  console.log(
    `${ORDERS} orders at ${RATE || 'max'}/s over ${BROKER}: ${result.throughput.toFixed(0)} orders/s (completing at ${result.completionRate.toFixed(0)}/s), p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
  );
  const byOrder = new Map<string, { type: string; at: number }[]>();
  for (let after = head; ; ) {
    const events = await run.store.readAll({ after, maxCount: 5_000 });
    if (events.length === 0) break;
    after = (events.at(-1) as (typeof events)[number]).globalPosition;
    for (const e of events) {
      const id = ORDER_STREAM.exec(e.streamId)?.[1];
      if (id === undefined) continue;
      const list = byOrder.get(id) ?? [];
      list.push({ type: e.type, at: e.occurredAt.getTime() });
      byOrder.set(id, list);
    }
  }
  const gaps = new Map<string, number[]>();
  for (const list of byOrder.values()) {
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++) {
      const step = `${(list[i - 1] as { type: string }).type} → ${(list[i] as { type: string }).type}`;
      const all = gaps.get(step) ?? [];
      all.push((list[i] as { at: number }).at - (list[i - 1] as { at: number }).at);
      gaps.set(step, all);
    }
  }
  console.log('orders     p50     p90     p99 (ms)  step');
  for (const [step, all] of [...gaps].filter(([, all]) => all.length >= ORDERS / 20).sort((a, b) => b[1].length - a[1].length)) {
    const sorted = [...all].sort((a, b) => a - b);
    const at = (q: number) => String(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]).padStart(7);
    console.log(`${String(all.length).padStart(6)} ${at(0.5)} ${at(0.9)} ${at(0.99)}      ${step}`);
  }
} finally {
  await closeRun();
}
