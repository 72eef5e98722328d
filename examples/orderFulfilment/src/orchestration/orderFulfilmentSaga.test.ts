import diagnostics from 'node:diagnostics_channel';
import { formatFlow, SAGA_NEEDS_ATTENTION_CHANNEL, type SagaNeedsAttentionMessage, traceFlow } from '@eventfold/core';
import { afterEach, describe, expect, test } from 'vitest';
import { ledgerOf, readAllEvents } from '../ledger.js';
import type { OrderLine } from '../messages.js';
import { createOrchestratedShop } from './createOrchestratedShop.js';

const order = (orderId: string, overrides: Partial<OrderLine> = {}): OrderLine => ({
  orderId,
  amount: 2_500,
  card: 'visa',
  sku: 'book',
  qty: 1,
  address: '1 Main St',
  ...overrides,
});

async function sagaTypes(shop: Awaited<ReturnType<typeof createOrchestratedShop>>, orderId: string) {
  return (await shop.operator.status(orderId)).history.map((h) =>
    h.type === 'SagaCommandIssued' ? `${h.type}:${(h.data as { command: { type: string } }).command.type}` : h.type,
  );
}

describe('order fulfilment, orchestrated', () => {
  test('happy path: charge, reserve, ship, then capture and commit', async () => {
    const shop = await createOrchestratedShop();
    await shop.placeOrder(order('o1'));
    await shop.settle();
    expect((await shop.sagaState('o1')).status).toBe('Completed');
    expect(await sagaTypes(shop, 'o1')).toEqual([
      'SagaStarted',
      'SagaCommandIssued:ChargePayment',
      'SagaStepSucceeded',
      'SagaCommandIssued:ReserveStock',
      'SagaStepSucceeded',
      'SagaCommandIssued:ShipOrder',
      'SagaStepSucceeded',
      'SagaCommandIssued:CapturePayment',
      'SagaCommandIssued:CommitStock',
      'SagaCompleted',
    ]);
    const ledger = ledgerOf(await readAllEvents(shop.store));
    expect(ledger).toMatchObject({ charged: 2_500, captured: 2_500, refunded: 0, reserved: 1, shipped: 1, released: 0, doubled: [] });
    expect(shop.handled.map((h) => h.type)).toEqual(['ChargePayment', 'ReserveStock', 'ShipOrder', 'CapturePayment', 'CommitStock']);
    // Step timeouts were cancelled as their replies came: nothing is left to fire.
    expect(await shop.timers.pending('saga:OrderFulfilment')).toBe(0);
    // The flow tracer follows the saga's commands into the services and their replies back.
    const [placed] = await shop.store.readStream('order-o1');
    const trace = await traceFlow(shop.store, placed?.eventId as string);
    const charged = trace.steps.find((s) => s.type === 'PaymentCharged');
    expect(charged?.causedBy?.type).toBe('SagaCommandIssued');
    expect(formatFlow(trace)).toMatch(/SagaCommandIssued\s+\(saga-OrderFulfilment-o1\) \[ChargePayment → payments\] ← OrderPlaced/);
  });

  test('payment declined: nothing to compensate, the saga ends Compensated', async () => {
    const shop = await createOrchestratedShop();
    await shop.placeOrder(order('o2', { card: 'declined' }));
    await shop.settle();
    const state = await shop.sagaState('o2');
    expect(state.status).toBe('Compensated');
    expect(state.failure).toBe('payment declined: card declined');
    expect(shop.handled.map((h) => h.type)).toEqual(['ChargePayment']);
    expect(ledgerOf(await readAllEvents(shop.store))).toMatchObject({ charged: 0, refunded: 0, reserved: 0 });
  });

  test('out of stock after payment: the payment is refunded', async () => {
    const shop = await createOrchestratedShop({ stock: { book: 1 } });
    await shop.placeOrder(order('o3', { qty: 2 }));
    await shop.settle();
    const state = await shop.sagaState('o3');
    expect(state.status).toBe('Compensated');
    expect(state.failure).toBe('stock: out of stock');
    expect(shop.handled.map((h) => h.type)).toEqual(['ChargePayment', 'ReserveStock', 'RefundPayment']);
    expect(ledgerOf(await readAllEvents(shop.store))).toMatchObject({ charged: 2_500, refunded: 2_500, captured: 0, reserved: 0, doubled: [] });
  });

  test('shipping timeout: stock released and payment refunded, in reverse order, even when the late shipment lands', async () => {
    const shop = await createOrchestratedShop();
    shop.consumers.shipping.pause(); // the shipping service is down
    await shop.placeOrder(order('o4'));
    await shop.settle();
    expect((await shop.sagaState('o4')).status).toBe('Running');
    await shop.advance(59_999);
    expect((await shop.sagaState('o4')).step).toBe('shipping');
    await shop.advance(1);
    expect((await shop.sagaState('o4')).status).toBe('Compensating');
    shop.consumers.shipping.resume(); // back up: the stale ShipOrder arrives first, then the cancellation
    await shop.settle();
    const state = await shop.sagaState('o4');
    expect(state.status).toBe('Compensated');
    expect(state.failure).toBe('step "shipping" timed out');
    expect(shop.handled.map((h) => h.type)).toEqual(['ChargePayment', 'ReserveStock', 'ShipOrder', 'CancelShipment', 'ReleaseStock', 'RefundPayment']);
    const ledger = ledgerOf(await readAllEvents(shop.store));
    expect(ledger).toMatchObject({ charged: 2_500, refunded: 2_500, captured: 0, reserved: 1, released: 1, shipped: 0, doubled: [] });
    expect(ledger.effects.get('o4')).toEqual(['PaymentCharged', 'StockReserved', 'ShipmentScheduled', 'ShipmentCancelled', 'StockReleased', 'PaymentRefunded']);
  });
});

describe('a compensation that keeps failing', () => {
  let unsubscribe: (() => void) | undefined;
  afterEach(() => unsubscribe?.());

  test('needs attention with an alert; the operator retries it and the saga compensates', async () => {
    const alerts: SagaNeedsAttentionMessage[] = [];
    const listener = (message: unknown) => alerts.push(message as SagaNeedsAttentionMessage);
    diagnostics.subscribe(SAGA_NEEDS_ATTENTION_CHANNEL, listener);
    unsubscribe = () => diagnostics.unsubscribe(SAGA_NEEDS_ATTENTION_CHANNEL, listener);

    const shop = await createOrchestratedShop({ stock: { book: 0 } });
    shop.consumers.payments.pause();
    await shop.placeOrder(order('o5'));
    await shop.settle();
    await shop.advance(30_000); // the charge times out: compensate it (refund) in case it went through
    expect((await shop.sagaState('o5')).status).toBe('Compensating');
    // Refund attempts time out too: 5 attempts with 1, 2, 4, 8 s between them.
    for (let i = 0; i < 10; i++) await shop.advance(30_000);
    const stuck = await shop.sagaState('o5');
    expect(stuck.status).toBe('NeedsAttention');
    expect(stuck.attention).toMatchObject({ step: 'payment', phase: 'compensation', attempts: 5 });
    expect(alerts).toEqual([expect.objectContaining({ saga: 'OrderFulfilment', sagaId: 'o5', step: 'payment', phase: 'compensation' })]);
    expect((await shop.operator.needingAttention()).map((a) => a.sagaId)).toEqual(['o5']);
    await expect(shop.operator.resolve('o-unknown', { resolution: 'Compensated' })).rejects.toMatchObject({ code: 'EVENTFOLD_SAGA_NOT_FOUND' });

    const retried = await shop.operator.retry('o5', { note: 'payments is back' });
    expect(retried.status).toBe('Compensating');
    expect(await shop.operator.needingAttention()).toEqual([]);
    shop.consumers.payments.resume(); // payments is back: the queued charge, then the refunds, then the operator's retry
    await shop.settle();
    expect((await shop.sagaState('o5')).status).toBe('Compensated');
    await expect(shop.operator.retry('o5')).rejects.toMatchObject({ code: 'EVENTFOLD_SAGA_STATE' });
    // The charge went through late, and was refunded exactly once although six refunds were sent.
    expect(shop.handled.filter((h) => h.type === 'RefundPayment')).toHaveLength(6);
    expect(ledgerOf(await readAllEvents(shop.store))).toMatchObject({ charged: 2_500, refunded: 2_500, doubled: [] });
  });

  test('a late success while the saga waits for a human moves it on by itself', async () => {
    const shop = await createOrchestratedShop();
    shop.consumers.payments.pause();
    await shop.placeOrder(order('o7'));
    await shop.settle();
    for (let i = 0; i < 12; i++) await shop.advance(30_000);
    expect((await shop.sagaState('o7')).status).toBe('NeedsAttention');
    shop.consumers.payments.resume();
    await shop.settle();
    expect((await shop.sagaState('o7')).status).toBe('Compensated');
  });

  test('an operator can resolve a stuck saga by hand', async () => {
    const shop = await createOrchestratedShop({ timeouts: { paymentMs: 1_000, stockMs: 1_000, shippingMs: 1_000, compensationMs: 1_000 } });
    shop.consumers.payments.pause();
    await shop.placeOrder(order('o6'));
    await shop.settle();
    for (let i = 0; i < 40; i++) await shop.advance(1_000);
    expect((await shop.sagaState('o6')).status).toBe('NeedsAttention');
    const resolved = await shop.operator.resolve('o6', { resolution: 'Compensated', note: 'refunded by hand in the processor UI' });
    expect(resolved.status).toBe('Compensated');
    const history = (await shop.operator.status('o6')).history;
    expect(history.at(-1)).toMatchObject({ type: 'SagaManuallyResolved', data: { resolution: 'Compensated', note: 'refunded by hand in the processor UI' } });
  });
});
