/**
 * Drives orders through a running shop's HTTP API (in process, `app.inject`) at a target rate with a
 * mix of outcomes, and measures each order's latency from the start of its placement request to the
 * moment its terminal state was recorded (the terminal event's time, which the feed reports). The feed
 * is polled every 100 ms; timing an order by when a poll saw it would add up to 100 ms of the
 * observer's own delay to every figure. Shared by the end-to-end test, the load generator and the benchmark.
 */
import type { Shop } from '../createShop.js';
import { ADDRESS_BOOK } from './addressBook.js';

/** What the driver needs of an HTTP API: fastify's `inject`, or `fetchInjector(url)` for a server elsewhere. */
export interface Injector {
  inject(request: { method: 'GET' | 'POST'; url: string; payload?: unknown }): Promise<{ statusCode: number; body: string }>;
}

/** One order in a terminal state; `at` is when that state was recorded (its terminal event's `occurredAt`). */
export interface TerminalOrder {
  orderId: string;
  status: string;
  reason: string | null;
  /** Without it the driver times the order by when the feed reported it (up to a poll interval late). */
  at?: Date;
}

/**
 * Orders that reached a terminal state, each reported once or more (the driver dedupes). `placedSince`
 * says that every order still awaited was placed at or after it: a feed may skip older orders.
 */
export type TerminalFeed = (hint?: { placedSince: Date }) => Promise<TerminalOrder[]>;

/** An Injector over real HTTP. */
export function fetchInjector(baseUrl: string): Injector {
  return {
    async inject({ method, url, payload }) {
      const res = await fetch(`${baseUrl}${url}`, {
        method,
        ...(payload === undefined ? {} : { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
      });
      return { statusCode: res.status, body: await res.text() };
    },
  };
}

/** Terminal orders as the shop's own order read model sees them (embedded mode). */
export function readModelFeed(shop: Shop): TerminalFeed {
  // The rows that changed since the last poll among the finished orders (partial index
  // shop_orders_finished), so a poll reads what is new, however many orders the run has finished.
  // updated_at of a finished order is its terminal event's occurredAt (ordersProjection).
  const query = shop.infrastructure.readModels.db.prepare(
    "SELECT order_id, status, reason, updated_at, position FROM shop_orders INDEXED BY shop_orders_finished WHERE status IN ('completed', 'rejected', 'cancelled') AND position > ? ORDER BY position",
  );
  let seen = '';
  return async () => {
    const rows = query.all(seen) as { order_id: string; status: string; reason: string | null; updated_at: string; position: string }[];
    const last = rows.at(-1);
    if (last !== undefined) seen = last.position;
    return rows.map((r) => ({ orderId: r.order_id, status: r.status, reason: r.reason, at: new Date(r.updated_at) }));
  };
}

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
  /** Orders that reached a terminal state per second, over the whole run (first placement → last terminal state). */
  throughput: number;
  /**
   * Orders that reached a terminal state per second between the first and the last to do so: the rate
   * the shop completes orders at, without the run's fixed start and tail (a run of n orders at rate r
   * that every order leaves after L ms scores at most n / (n/r + L) as `throughput`, below r however
   * fast the shop keeps up). 0 with fewer than two finished orders.
   */
  completionRate: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  outcomes: Record<string, number>;
  cancelRefused: number;
  unfinished: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Drives orders through an in-process shop: its API by `inject`, terminal states from its read model. */
export function driveOrders(shop: Shop, app: Injector, options: DriveOptions): Promise<DriveResult> {
  return driveOrdersThrough(app, readModelFeed(shop), options);
}

export async function driveOrdersThrough(app: Injector, terminals: TerminalFeed, options: DriveOptions): Promise<DriveResult> {
  const mix = options.mix ?? DEFAULT_MIX;
  const random = options.random ?? Math.random;
  /** When each answered order's placement request started (this run's clock): where its latency starts. */
  const placedAt = new Map<string, number>();
  /** By placement index: when its request started (wall clock), and its order id once answered. */
  const requestedAt: number[] = [];
  const answered: (string | undefined)[] = [];
  /** Lowest placement index whose order is not known to be finished. */
  let oldestAwaited = 0;
  const finished = new Map<string, number>();
  const outcomes: Record<string, number> = {};
  const orderIds: string[] = [];
  let cancelRefused = 0;
  const started = performance.now();
  // Feeds report wall-clock times (another process on this machine stamps them): on this run's clock.
  const wallOffset = Date.now() - performance.now();
  const early = new Map<string, TerminalOrder>();
  const finish = (row: TerminalOrder, seenAt: number) => {
    if (finished.has(row.orderId)) return;
    const at = row.at === undefined || Number.isNaN(row.at.getTime()) ? seenAt : row.at.getTime() - wallOffset;
    finished.set(row.orderId, Math.max(at, placedAt.get(row.orderId) ?? at));
    const outcome = row.status === 'rejected' ? `rejected:${row.reason}` : row.status;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  let polling: Promise<void> | undefined;
  // Every order still awaited was requested at or after the request of the lowest placement not known
  // to be finished (requests start in index order; an unanswered one counts as awaited). The feed
  // then reads only that window, not every order of the run (a 30 s margin made each poll scan them
  // all). One second covers the placed_at stamp's clock (another process on this machine).
  const placedSince = () => {
    while (oldestAwaited < requestedAt.length) {
      const id = answered[oldestAwaited];
      if (id === undefined || !finished.has(id)) break;
      oldestAwaited++;
    }
    const since = requestedAt[oldestAwaited] ?? Date.now();
    return { placedSince: new Date(Math.max(0, since - 1_000)) };
  };
  const poll = () => {
    polling ??= terminals(placedSince())
      .then((rows) => {
        const now = performance.now();
        for (const row of rows) {
          // An order can finish before its placement answer reaches us: keep it for when it does.
          if (!placedAt.has(row.orderId)) early.set(row.orderId, row);
          else finish(row, now);
        }
      })
      .finally(() => {
        polling = undefined;
      });
    return polling;
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
    requestedAt[i] = Date.now();
    const requested = performance.now();
    const res = await app.inject({ method: 'POST', url: '/orders', payload: body });
    if (res.statusCode !== 202) throw new Error(`placing order ${i} answered ${res.statusCode}: ${res.body}`);
    const { orderId } = JSON.parse(res.body) as { orderId: string };
    placedAt.set(orderId, requested);
    answered[i] = orderId;
    orderIds.push(orderId);
    const already = early.get(orderId);
    if (already) finish(already, performance.now());
    if (cancel) {
      const answer = await app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, payload: { reason: 'changed my mind' } });
      if (answer.statusCode === 409) cancelRefused++;
      else if (answer.statusCode !== 202) throw new Error(`cancelling ${orderId} answered ${answer.statusCode}: ${answer.body}`);
    }
  };

  const progress = setInterval(() => {
    void poll();
    options.onProgress?.({ placed: placedAt.size, terminal: finished.size, total: options.orders });
  }, 100);
  try {
    // At most 64 placements at once. A counter and one waiter, not Promise.race over the set in
    // flight: that attaches a reaction to each of the 64 promises for every order placed.
    let inFlight = 0;
    let failed: { error: unknown } | undefined;
    let slotFree: (() => void) | undefined;
    const settled = () => {
      inFlight--;
      slotFree?.();
    };
    const waitForSlot = (free: number) =>
      new Promise<void>((resolve) => {
        slotFree = () => {
          if (inFlight <= free || failed) {
            slotFree = undefined;
            resolve();
          }
        };
      });
    for (let i = 0; i < options.orders && !failed; i++) {
      if (options.rate > 0) {
        const due = started + (i * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      inFlight++;
      place(i).then(settled, (error: unknown) => {
        failed ??= { error };
        settled();
      });
      if (inFlight >= 64) await waitForSlot(63);
    }
    if (inFlight > 0) await waitForSlot(0);
    if (failed) throw failed.error;
    const deadline = performance.now() + (options.timeoutMs ?? 120_000);
    while (finished.size < orderIds.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      await poll();
    }
  } finally {
    clearInterval(progress);
  }
  await poll();
  options.onProgress?.({ placed: placedAt.size, terminal: finished.size, total: options.orders });
  const latencies = [...finished].map(([id, at]) => at - (placedAt.get(id) ?? at)).sort((a, b) => a - b);
  const lastFinish = Math.max(...finished.values(), started);
  const firstFinish = Math.min(...finished.values(), lastFinish);
  const elapsedMs = lastFinish - started;
  return {
    orderIds,
    elapsedMs,
    throughput: elapsedMs > 0 ? (finished.size * 1000) / elapsedMs : 0,
    completionRate: finished.size > 1 && lastFinish > firstFinish ? ((finished.size - 1) * 1000) / (lastFinish - firstFinish) : 0,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    outcomes,
    cancelRefused,
    unfinished: orderIds.length - finished.size,
  };
}
