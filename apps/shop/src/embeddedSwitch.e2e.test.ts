/**
 * Embedded mode moved from the store transport to the direct transport: a data file last run with the
 * store transport can hold messages the relay published (and checkpointed past) that a consumer had
 * not handled yet. The next start hands them to the consumers before anything else, so no order is
 * left behind by the switch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInMessageContext, uuidv7 } from '@eventfold/core';
import { expect, test } from 'vitest';
import { loadConfig } from './config/loadConfig.js';
import { createShop } from './createShop.js';
import { SEED_CATALOGUE } from './inventory/catalogue.js';
import { settledInvariants } from './testing/checkInvariants.js';
import { ADDRESS } from './testing/createTestShop.js';

test('orders the store transport had not finished are finished after the switch to the direct transport', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-switch-'));
  try {
    const config = loadConfig({ EVENTFOLD_STORE: `sqlite:${join(dir, 'shop.db')}` });
    const before = await createShop(config, { onError: () => undefined, inproc: 'store' });
    const orderIds: string[] = [];
    let last = 0n;
    for (let i = 0; i < 200; i++) {
      const orderId = uuidv7();
      const input = {
        orderId,
        customerId: `c${i % 7}`,
        lines: [{ sku: i % 5 === 0 ? 'LTD-001' : 'TEA-001', quantity: 1 }],
        shippingAddress: ADDRESS,
        paymentToken: i % 6 === 0 ? 'tok_declined' : 'tok_visa',
      };
      const placed = await runInMessageContext({ messageId: orderId, correlationId: orderId, causationId: undefined, headers: {} }, () =>
        before.services.orders.place(input, new Date()),
      );
      last = placed.position ?? last;
      orderIds.push(orderId);
    }
    // Stop as soon as the relay has published every placement: the consumers are still behind.
    const db = before.infrastructure.readModels.db;
    const relayed = () => BigInt((db.prepare("SELECT position FROM eventfold_checkpoints WHERE name = 'shop-relay'").pluck().get() as string | undefined) ?? 0);
    while (relayed() < last) await new Promise((r) => setTimeout(r, 5));
    await before.stop();

    const { createSqliteEventStore } = await import('@eventfold/sqlite');
    const check = createSqliteEventStore({ path: join(dir, 'shop.db') });
    const leftovers = check.db
      .prepare(
        `SELECT count(*) FROM eventfold_events WHERE stream_id LIKE '$inproc/%' AND global_position >
           (SELECT min(CAST(position AS INTEGER)) FROM eventfold_checkpoints WHERE name LIKE '$inproc:%')`,
      )
      .pluck()
      .get() as number;
    await check.close();
    expect(leftovers, 'the store transport left messages unhandled (the case this test is about)').toBeGreaterThan(0);

    const after = await createShop(config, { onError: () => undefined });
    try {
      expect(after.infrastructure.direct).toBe(true);
      const report = await settledInvariants(
        after.services,
        orderIds,
        SEED_CATALOGUE.map((item) => item.sku),
        { intervalMs: 250 },
      );
      expect(report.violations).toEqual([]);
      expect(Object.values(report.outcomes).reduce((a, b) => a + b, 0)).toBe(orderIds.length);
    } finally {
      await after.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
