/**
 * Issue 6 benchmark: orders completed per second end to end in embedded mode (one process, SQLite
 * file, in-process transport, HTTP through app.inject), placement → terminal state, with the usual
 * outcome mix. Orchestration is measured against choreography in the same run; p50/p99 latency of
 * each round is printed beside the harness's throughput lines. Target (issue 6): ≥ 1,000 orders/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../apps/shop/src/config/loadConfig.js';
import { createShop } from '../../apps/shop/src/createShop.js';
import { createApi } from '../../apps/shop/src/http/createApi.js';
import { driveOrders } from '../../apps/shop/src/load/driveOrders.js';
import type { Measurement, Workload } from '../lib.js';

const ORDERS = Number(process.env.BENCH_SHOP_ORDERS ?? 500);

async function round(style: 'orchestration' | 'choreography'): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-bench-shop-'));
  const shop = await createShop(loadConfig({ EVENTFOLD_STORE: `sqlite:${join(dir, 'shop.db')}`, SHOP_SAGA_STYLE: style }), { onError: () => undefined });
  const app = createApi(shop);
  await app.ready();
  try {
    const result = await driveOrders(shop, app, { orders: ORDERS, rate: 0, timeoutMs: 600_000 });
    if (result.unfinished > 0) throw new Error(`${result.unfinished} of ${ORDERS} orders did not finish`);
    const { p50, p99 } = result.latencyMs;
    process.stdout.write(`    shop ${style}: ${result.throughput.toFixed(0)} orders/s · p50 ${p50.toFixed(0)} ms · p99 ${p99.toFixed(0)} ms\n`);
    return { operations: ORDERS, ms: result.elapsedMs };
  } finally {
    await app.close();
    await shop.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function workloads(): Promise<Workload[]> {
  return [
    {
      id: 'shop.embedded.orders',
      description: `${ORDERS} orders placed → terminal, embedded (SQLite + in-process transport), orchestration vs choreography`,
      unit: 'orders',
      eventfold: { name: 'shop orchestration', run: () => round('orchestration') },
      anchors: [{ name: 'shop choreography', run: () => round('choreography') }],
      targets: [],
      rounds: 3,
      warmup: 0,
    },
  ];
}
