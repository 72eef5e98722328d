/**
 * Drives orders through a running shop's HTTP API (in process, `app.inject`) at a target rate with a
 * mix of outcomes, and measures each order's latency from placement to its terminal state as seen by
 * the order read model. Shared by the end-to-end test, the load generator and the benchmark.
 */
import type { FastifyInstance } from 'fastify';
import type { Shop } from '../createShop.js';
import { ADDRESS_BOOK } from './addressBook.js';

export interface OrderMix {
  /** Share of orders paid with the declined card token. */
  declined: number;
  /** Share of orders asking for the scarce SKU (LTD-001), most of which run out of stock. */
  scarce: number;
  /** Share of orders cancelled right after placement (some complete first: their cancel gets 409). */
  cancelled: number;
}

export const DEFAULT_MIX: OrderMix = { declined: 0.15, scarce: 0.1, cancelled: 0.15 };

export interface DriveOptions {
  orders: number;
  /** Orders per second; 0 = as fast as possible. */
  rate: number;
  mix?: OrderMix;
  /** Deterministic choices. */
  random?: () => number;
  /** Called about every 100 ms. */
  onProgress?: (progress: { placed: number; terminal: number; total: number }) => void;
  timeoutMs?: number;
}

export interface DriveResult {
  orderIds: string[];
  elapsedMs: number;
  /** Orders that reached a terminal state per second, over the whole run. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  outcomes: Record<string, number>;
  cancelRefused: number;
  unfinished: number;
}

const TERMINAL = "('completed', 'rejected', 'cancelled')";

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function driveOrders(shop: Shop, app: FastifyInstance, options: DriveOptions): Promise<DriveResult> {
  const mix = options.mix ?? DEFAULT_MIX;
  const random = options.random ?? Math.random;
  const db = shop.infrastructure.readModels.db;
  const placedAt = new Map<string, number>();
  const finished = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  const orderIds: string[] = [];
  let cancelRefused = 0;
  const started = performance.now();
  const terminalAfter = db.prepare(`SELECT order_id, status, reason, position FROM shop_orders WHERE position > ? AND status IN ${TERMINAL}`);
  let seenPosition = 0;

  const poll = () => {
    const rows = terminalAfter.all(seenPosition) as { order_id: string; status: string; reason: string | null; position: number }[];
    const now = performance.now();
    for (const row of rows) {
      seenPosition = Math.max(seenPosition, row.position);
      if (!placedAt.has(row.order_id) || finished.has(row.order_id)) continue;
      finished.set(row.order_id, now);
      const outcome = row.status === 'rejected' ? `rejected:${row.reason}` : row.status;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };

  const place = async (i: number) => {
    const declined = random() < mix.declined;
    const scarce = random() < mix.scarce;
    const cancel = random() < mix.cancelled;
    const lines = [{ sku: ['TEA-001', 'TEA-002', 'MUG-001', 'STR-001'][i % 4] as string, quantity: 1 + (i % 3) }];
    if (scarce) lines.push({ sku: 'LTD-001', quantity: 1 });
    const body = {
      customerId: `customer-${i % 97}`,
      lines,
      shippingAddress: ADDRESS_BOOK[i % ADDRESS_BOOK.length],
      paymentToken: declined ? 'tok_declined' : 'tok_visa',
    };
    const res = await app.inject({ method: 'POST', url: '/orders', payload: body });
    if (res.statusCode !== 202) throw new Error(`placing order ${i} answered ${res.statusCode}: ${res.body}`);
    const { orderId } = JSON.parse(res.body) as { orderId: string };
    placedAt.set(orderId, performance.now());
    orderIds.push(orderId);
    if (cancel) {
      const answer = await app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, payload: { reason: 'changed my mind' } });
      if (answer.statusCode === 409) cancelRefused++;
      else if (answer.statusCode !== 202) throw new Error(`cancelling ${orderId} answered ${answer.statusCode}: ${answer.body}`);
    }
  };

  const progress = setInterval(() => {
    poll();
    options.onProgress?.({ placed: placedAt.size, terminal: finished.size, total: options.orders });
  }, 100);
  try {
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < options.orders; i++) {
      if (options.rate > 0) {
        const due = started + (i * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      const p = place(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 64) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const deadline = performance.now() + (options.timeoutMs ?? 120_000);
    while (finished.size < orderIds.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      poll();
    }
  } finally {
    clearInterval(progress);
  }
  poll();
  options.onProgress?.({ placed: placedAt.size, terminal: finished.size, total: options.orders });
  const latencies = [...finished].map(([id, at]) => at - (placedAt.get(id) ?? at)).sort((a, b) => a - b);
  const lastFinish = Math.max(...finished.values(), started);
  const elapsedMs = lastFinish - started;
  return {
    orderIds,
    elapsedMs,
    throughput: elapsedMs > 0 ? (finished.size * 1000) / elapsedMs : 0,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    outcomes,
    cancelRefused,
    unfinished: orderIds.length - finished.size,
  };
}
