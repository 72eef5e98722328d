import { formatFlow, traceFlow } from '@eventfold/core';
import { describe, expect, test } from 'vitest';
import { ledgerOf, readAllEvents } from '../ledger.js';
import type { OrderLine } from '../messages.js';
import { createChoreographedShop } from './createChoreographedShop.js';

const order = (orderId: string, overrides: Partial<OrderLine> = {}): OrderLine => ({
  orderId,
  amount: 2_500,
  card: 'visa',
  sku: 'book',
  qty: 1,
  address: '1 Main St',
  ...overrides,
});

const effects = async (shop: Awaited<ReturnType<typeof createChoreographedShop>>, orderId: string) =>
  ledgerOf(await readAllEvents(shop.store)).effects.get(orderId) ?? [];

describe('order fulfilment, choreographed', () => {
  test('happy path: charged, reserved, shipped, captured, committed, completed', async () => {
    const shop = await createChoreographedShop();
    await shop.placeOrder(order('o1'));
    await shop.settle();
    expect(await shop.orderStatus('o1')).toBe('completed');
    expect(await effects(shop, 'o1')).toEqual(['PaymentCharged', 'StockReserved', 'ShipmentScheduled', 'PaymentCaptured', 'StockShipped']);
  });

  test('payment declined: the order is cancelled and nothing else happens', async () => {
    const shop = await createChoreographedShop();
    await shop.placeOrder(order('o2', { card: 'declined' }));
    await shop.settle();
    expect(await shop.orderStatus('o2')).toBe('cancelled');
    expect(await effects(shop, 'o2')).toEqual([]);
  });

  test('out of stock after payment: the payment is refunded', async () => {
    const shop = await createChoreographedShop({ stock: { book: 1 } });
    await shop.placeOrder(order('o3', { qty: 3 }));
    await shop.settle();
    expect(await shop.orderStatus('o3')).toBe('cancelled');
    expect(await effects(shop, 'o3')).toEqual(['PaymentCharged', 'PaymentRefunded']);
  });

  test('shipping timeout: the deadline cancels the shipment, which releases the stock, which refunds the payment', async () => {
    const shop = await createChoreographedShop({ shippingDeadlineMs: 60_000 });
    shop.down('shipping');
    await shop.placeOrder(order('o4'));
    await shop.settle();
    expect(await shop.orderStatus('o4')).toBe('placed');
    await shop.advance(59_999);
    expect(await effects(shop, 'o4')).toEqual(['PaymentCharged', 'StockReserved']);
    await shop.advance(1);
    expect(await shop.orderStatus('o4')).toBe('cancelled');
    shop.up('shipping'); // back: its late ShipOrder is refused, nothing is shipped or released twice
    await shop.settle();
    expect(await effects(shop, 'o4')).toEqual(['PaymentCharged', 'StockReserved', 'ShipmentCancelled', 'StockReleased', 'PaymentRefunded']);
    expect(ledgerOf(await readAllEvents(shop.store))).toMatchObject({ charged: 2_500, refunded: 2_500, captured: 0, reserved: 1, released: 1, shipped: 0 });
  });

  test('the flow tracer shows the full choreography of one order, in order, from its correlation id', async () => {
    const shop = await createChoreographedShop();
    await shop.placeOrder(order('o5'));
    await shop.placeOrder(order('o6', { card: 'declined' })); // another flow interleaved in the same log
    await shop.settle();
    const trace = await traceFlow(shop.store, 'flow-o5');
    expect(trace.steps.map((s) => [s.type, s.causedBy?.type ?? null, s.depth])).toEqual([
      ['OrderPlaced', null, 0],
      ['PaymentCharged', 'OrderPlaced', 1],
      ['StockReserved', 'PaymentCharged', 2],
      ['ShipmentScheduled', 'StockReserved', 3],
      ['PaymentCaptured', 'ShipmentScheduled', 4],
      ['StockShipped', 'ShipmentScheduled', 4],
      ['OrderCompleted', 'PaymentCaptured', 5],
    ]);
    expect(trace.steps.map((s) => s.streamId)).toEqual(['order-o5', 'payment-o5', 'stock-book', 'shipment-o5', 'payment-o5', 'stock-book', 'order-o5']);
    const positions = trace.steps.map((s) => s.globalPosition);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    const text = formatFlow(trace);
    console.log(text);
    expect(text).toContain('flow flow-o5: 7 events');
    expect(text).toMatch(/PaymentCaptured\s+\(payment-o5\) ← ShipmentScheduled/);
  });
});
