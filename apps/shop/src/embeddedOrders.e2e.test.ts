/**
 * End to end, embedded mode (one process, SQLite file, in-process transport, HTTP through app.inject):
 * 500 orders with a mix of outcomes in each saga style. Every order ends terminal, and every outcome
 * agrees with the payment, reservation and shipment streams; stock balances per SKU.
 */
import { seededRandom } from '@eventfold/core/testing';
import { describe, expect, test } from 'vitest';
import { SEED_CATALOGUE } from './inventory/catalogue.js';
import { driveOrders } from './load/driveOrders.js';
import { checkInvariants, type InvariantReport } from './testing/checkInvariants.js';
import { createTestShop } from './testing/createTestShop.js';

const SKUS = SEED_CATALOGUE.map((item) => item.sku);

describe.each([
  ['orchestration', 500],
  ['choreography', 300],
] as const)('embedded shop, %s', (style, orders) => {
  test(`${orders} orders (paid, declined, out of stock, cancelled) all end terminal and consistent with payments and stock`, async () => {
    const t = await createTestShop({ store: 'sqlite', env: { SHOP_SAGA_STYLE: style } });
    try {
      const result = await driveOrders(t.shop, t.app, { orders, rate: 0, random: seededRandom(42), timeoutMs: 180_000 });
      expect(result.unfinished).toBe(0);
      expect(result.orderIds).toHaveLength(orders);
      // Compensations (voids, releases) finish after the order's terminal state: wait until the streams agree.
      let report: InvariantReport = { outcomes: {}, violations: ['not checked'] };
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        report = await checkInvariants(t.shop.services, result.orderIds, SKUS);
        if (report.violations.length === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(report.violations).toEqual([]);
      expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(orders);
      for (const outcome of ['completed', 'rejected:payment_declined', 'rejected:out_of_stock', 'cancelled']) {
        expect(report.outcomes[outcome], `${outcome} in ${JSON.stringify(report.outcomes)}`).toBeGreaterThan(0);
      }
      // The read model agrees with the streams.
      expect(result.outcomes).toEqual(report.outcomes);
    } finally {
      await t.close();
    }
  });
});
