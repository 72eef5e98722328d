import { describe, expect, it } from 'vitest';
import { driveOrdersThrough, type Injector, type TerminalOrder } from './driveOrders.js';

/** Answers every placement with a fresh order id, remembering when each request arrived (wall clock). */
function fakeApi() {
  const requested = new Map<string, number>();
  let next = 0;
  const injector: Injector = {
    async inject({ url }) {
      if (url !== '/orders') return { statusCode: 202, body: '{}' }; // cancellations
      const orderId = `order-${++next}`;
      requested.set(orderId, Date.now());
      return { statusCode: 202, body: JSON.stringify({ orderId }) };
    },
  };
  return { injector, requested };
}

describe('driveOrdersThrough', () => {
  it('times an order from its placement request to when its terminal state was recorded, not to when a poll saw it', async () => {
    const { injector, requested } = fakeApi();
    // Each order finished 40 ms after its request, but the feed reports nothing until 150 ms after the first.
    const feed = async (): Promise<TerminalOrder[]> => {
      const first = Math.min(...requested.values());
      if (requested.size === 0 || Date.now() - first < 150) return [];
      return [...requested].map(([orderId, at]) => ({ orderId, status: 'completed', reason: null, at: new Date(at + 40) }));
    };
    const result = await driveOrdersThrough(injector, feed, { orders: 5, rate: 0, random: () => 0.99 });
    expect(result.unfinished).toBe(0);
    // Date.now() and performance.now() agree to about a millisecond; timed by the poll it would be ≥ 150 ms.
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(38);
    expect(result.latencyMs.max).toBeLessThan(100);
    expect(result.outcomes).toEqual({ completed: 5 });
  });

  it('falls back to when the feed reported the order when it gives no time', async () => {
    const { injector, requested } = fakeApi();
    const feed = async (): Promise<TerminalOrder[]> => {
      const first = Math.min(...requested.values());
      if (requested.size === 0 || Date.now() - first < 150) return [];
      return [...requested.keys()].map((orderId) => ({ orderId, status: 'rejected', reason: 'out_of_stock' }));
    };
    const result = await driveOrdersThrough(injector, feed, { orders: 3, rate: 0, random: () => 0.99 });
    expect(result.unfinished).toBe(0);
    // Reported no sooner than 150 ms after the first request, and the requests took far less than 50 ms.
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(100);
    expect(result.outcomes).toEqual({ 'rejected:out_of_stock': 3 });
  });

  it("reports the completion rate between the first and the last order to finish, apart from the run's start and tail", async () => {
    const { injector, requested } = fakeApi();
    // Five orders finishing 10 ms apart, from 100 ms after the first request: 4 gaps in 40 ms = 100 orders/s.
    const feed = async (): Promise<TerminalOrder[]> => {
      if (requested.size < 5) return [];
      const first = Math.min(...requested.values());
      if (Date.now() - first < 150) return [];
      return [...requested.keys()].map((orderId, k) => ({ orderId, status: 'completed', reason: null, at: new Date(first + 100 + k * 10) }));
    };
    const result = await driveOrdersThrough(injector, feed, { orders: 5, rate: 0, random: () => 0.99 });
    expect(result.completionRate).toBeCloseTo(100, 6);
    // Over the whole run (from the first placement) the same five orders count at most 5 in 140 ms.
    expect(result.throughput).toBeLessThan(5 / 0.14 + 1);
  });
});
