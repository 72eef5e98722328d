/**
 * `npm run load -- --orders 10000 --rate 500`: starts an embedded shop (a scratch SQLite file
 * ./data/load-<time>.db, removed afterwards unless --keep; or --store <url>), drives orders through its HTTP API at the rate,
 * shows a progress bar, and prints throughput and placed → terminal latency percentiles.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidInputError, isEventfoldError } from '@eventfold/core';
import { loadConfig } from '../config/loadConfig.js';
import { createShop } from '../createShop.js';
import { createApi } from '../http/createApi.js';
import { driveOrders } from './driveOrders.js';

function positiveInt(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min) throw new InvalidInputError(`--${name}`, `"${text}" must be a whole number ≥ ${min}.`);
  return value;
}

function bar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '500' },
      store: { type: 'string' },
      saga: { type: 'string', default: 'orchestration' },
      keep: { type: 'boolean', default: false },
    },
  });
  let orders: number;
  let rate: number;
  try {
    orders = positiveInt('orders', values.orders, 1);
    rate = positiveInt('rate', values.rate, 0);
  } catch (error) {
    if (isEventfoldError(error)) {
      console.error(`load: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const scratch = values.store === undefined ? `./data/load-${Date.now()}.db` : undefined;
  const config = loadConfig({
    ...process.env,
    EVENTFOLD_STORE: values.store ?? `sqlite:${scratch}`,
    SHOP_SAGA_STYLE: values.saga,
  });
  const shop = await createShop(config, { onError: () => undefined });
  const app = createApi(shop);
  await app.ready();
  console.log(`Load: ${orders} orders at ${rate === 0 ? 'max' : `${rate}/s`} · store ${config.store.kind} · saga ${config.sagaStyle}`);
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  const cpuBefore = process.cpuUsage();
  const result = await driveOrders(shop, app, {
    orders,
    rate,
    timeoutMs: 600_000,
    onProgress: ({ placed, terminal, total }) => {
      const line = `${bar(terminal, total)} placed ${placed}/${total} · terminal ${terminal}/${total}`;
      if (tty) process.stdout.write(`\r${line}`);
      else if (Date.now() - lastLine > 2000 || terminal === total) {
        console.log(line);
        lastLine = Date.now();
      }
    },
  });
  if (tty) process.stdout.write('\n');
  const cpu = process.cpuUsage(cpuBefore);
  const { latencyMs: l } = result;
  console.log(
    `Completed ${orders - result.unfinished}/${orders} orders in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.throughput.toFixed(0)} orders/s (completing at ${result.completionRate.toFixed(0)}/s between the first and the last to finish)`,
  );
  console.log(`Latency placed → terminal: p50 ${l.p50.toFixed(0)} ms · p90 ${l.p90.toFixed(0)} ms · p99 ${l.p99.toFixed(0)} ms · max ${l.max.toFixed(0)} ms`);
  // CPU per order is what a shared or busy machine does not distort: the ceiling is 1,000 ms ÷ this on one core.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`CPU: ${(cpuMs / orders).toFixed(2)} ms per order (${(cpuMs / 1000).toFixed(1)} s user+system in ${(result.elapsedMs / 1000).toFixed(1)} s)`);
  console.log(
    `Outcomes: ${Object.entries(result.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')} (cancels refused after completion: ${result.cancelRefused})`,
  );
  await app.close();
  await shop.stop();
  // The scratch database is removed unless --keep asks to inspect it.
  if (scratch && !values.keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${scratch}${suffix}`, { force: true });
  else if (scratch) console.log(`Kept ${scratch}`);
  process.exit(result.unfinished === 0 ? 0 : 1);
}

await main();
