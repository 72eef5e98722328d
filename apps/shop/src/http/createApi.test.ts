import { defineBinding, encodeJsonMessage, uuidv7 } from '@eventfold/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, createTestShop, orderBody, type TestShop } from '../testing/createTestShop.js';

let t: TestShop;
beforeAll(async () => {
  t = await createTestShop();
});
afterAll(async () => {
  await t.close();
});

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary JSON answers field by field.
type Loose = any;
const json = (body: string) => JSON.parse(body) as Record<string, Loose>;

/** Waits until the order's saga (or, in choreography, the order) has finished: every compensation and capture done. */
async function waitForSaga(orderId: string): Promise<Record<string, Loose>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: `/sagas/${orderId}` });
    const step = res.statusCode === 200 ? json(res.body).step : undefined;
    if (['completed', 'failed', 'compensated'].includes(step)) break;
    if (Date.now() > deadline) throw new Error(`saga of ${orderId} did not finish: ${res.body}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return waitForStatus(orderId, ['completed', 'rejected', 'cancelled']);
}

async function waitForStatus(orderId: string, wanted: string[]): Promise<Record<string, Loose>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: `/orders/${orderId}` });
    if (res.statusCode === 200 && wanted.includes(json(res.body).status)) return json(res.body);
    if (Date.now() > deadline) throw new Error(`order ${orderId} did not reach ${wanted.join('/')}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function readUntil(orderId: string, done: (order: Record<string, Loose>) => boolean): Promise<Record<string, Loose>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const order = json((await t.app.inject({ method: 'GET', url: `/orders/${orderId}` })).body);
    if (done(order) || Date.now() > deadline) return order;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shop HTTP API', () => {
  test('place an order, read your own write at once, follow it to completion', async () => {
    const placed = await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody() });
    expect(placed.statusCode).toBe(202);
    const { orderId, position, total } = json(placed.body);
    expect(total).toBe(2500);
    expect(placed.headers['x-eventfold-position']).toBe(position);
    const mine = await t.app.inject({ method: 'GET', url: `/orders/${orderId}?minPosition=${position}` });
    expect(mine.statusCode).toBe(200);
    expect(json(mine.body).timeline[0].type).toBe('OrderPlaced');
    await waitForSaga(orderId);
    // The read model catches up with the saga's last events too.
    await waitForStatus(orderId, ['completed']);
    // Capture and the stock commit are the saga's last two steps, projected one after the other: wait for both.
    expect(await readUntil(orderId, (o) => o.payment === 'captured' && o.stock === 'shipped')).toMatchObject({
      payment: 'captured',
      stock: 'shipped',
      shipment: 'scheduled',
    });
    const saga = json((await t.app.inject({ method: 'GET', url: `/sagas/${orderId}` })).body);
    expect(saga).toMatchObject({ style: 'orchestration', step: 'completed' });
    const cancel = await t.app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, payload: { reason: 'too late' } });
    expect(cancel.statusCode).toBe(409);
    expect(json(cancel.body).error).toMatchObject({ code: 'EVENTFOLD_COMMAND_REJECTED', reason: 'OrderNotCancellable' });
  });

  test('history and temporal state of a stream', async () => {
    const { orderId } = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody() })).body);
    await waitForSaga(orderId);
    const history = json((await t.app.inject({ method: 'GET', url: `/streams/order-${orderId}/events` })).body);
    expect(history.events.map((e: { type: string }) => e.type)).toEqual(['OrderPlaced', 'OrderCompleted']);
    expect(history.events[0].correlationId).toBe(orderId);
    const v1 = json((await t.app.inject({ method: 'GET', url: `/streams/order-${orderId}/state?version=1` })).body);
    expect(v1).toMatchObject({ version: 1, state: { status: 'placed' } });
    const before = json((await t.app.inject({ method: 'GET', url: `/streams/order-${orderId}/state?asOf=2000-01-01T00:00:00Z` })).body);
    expect(before).toMatchObject({ version: 0, state: { status: 'none' } });
    const now = json((await t.app.inject({ method: 'GET', url: `/streams/payment-${orderId}/state` })).body);
    expect(now.state.status).toBe('captured');
    expect((await t.app.inject({ method: 'GET', url: '/streams/order-nope/events' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/streams/$inproc-x/events' })).statusCode).toBe(400);
  });

  test('declined payment, out of stock and cancellation end in their terminal states', async () => {
    const declined = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ paymentToken: 'tok_declined' }) })).body);
    const short = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ lines: [{ sku: 'LTD-001', quantity: 50 }] }) })).body);
    expect(await waitForSaga(declined.orderId)).toMatchObject({ status: 'rejected', reason: 'payment_declined' });
    expect(await waitForSaga(short.orderId)).toMatchObject({ status: 'rejected', reason: 'out_of_stock' });
    expect(await readUntil(short.orderId, (o) => o.payment === 'voided')).toMatchObject({ stock: 'out_of_stock' });
    const placed = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody() })).body);
    const cancel = await t.app.inject({ method: 'POST', url: `/orders/${placed.orderId}/cancel` });
    if (cancel.statusCode === 202) {
      const order = await waitForSaga(placed.orderId);
      const saga = json((await t.app.inject({ method: 'GET', url: `/sagas/${placed.orderId}` })).body);
      expect(order.status).toBe('cancelled');
      expect(saga.step).toBe('compensated');
    } else {
      expect(cancel.statusCode).toBe(409); // the order completed first: a legitimate race
    }
  });

  test('add stock, products with levels, full-text search over products and orders, activity, revenue, projections', async () => {
    const add = await t.app.inject({ method: 'POST', url: '/stock/POT-001/add', payload: { quantity: 7 } });
    expect(add.statusCode).toBe(202);
    expect((await t.app.inject({ method: 'POST', url: '/stock/NOPE-1/add', payload: { quantity: 7 } })).statusCode).toBe(404);
    const { orderId } = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ customerId: 'grace' }) })).body);
    await waitForSaga(orderId);
    const products = json((await t.app.inject({ method: 'GET', url: '/products?q=teapot' })).body).products;
    expect(products).toEqual([expect.objectContaining({ sku: 'POT-001', available: 507 })]);
    const found = json((await t.app.inject({ method: 'GET', url: '/orders/search?q=london TEA-001' })).body).orders;
    expect(found.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
    const injected = await t.app.inject({ method: 'GET', url: `/orders/search?q=${encodeURIComponent('" OR 1=1; DROP TABLE shop_orders --')}` });
    expect(injected.statusCode).toBe(200);
    const activity = json((await t.app.inject({ method: 'GET', url: '/customers/grace/activity' })).body).activity;
    expect(activity.map((a: { type: string }) => a.type)).toContain('OrderCompleted');
    expect(json((await t.app.inject({ method: 'GET', url: '/revenue' })).body).days[0].revenue).toBeGreaterThan(0);
    const list = json((await t.app.inject({ method: 'GET', url: '/orders?status=completed&limit=2' })).body);
    expect(list.orders).toHaveLength(2);
    expect(list.next).not.toBeNull();
    const projections = json((await t.app.inject({ method: 'GET', url: '/projections' })).body).projections;
    expect(projections.map((p: { name: string }) => p.name).sort()).toEqual(['shop-catalogue', 'shop-orders']);
  });

  test('the saga operator API: admin only; none need attention; retry or resolve a saga that does not is 409, an unknown one 404', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await t.app.inject({ method: 'GET', url: '/admin/sagas/attention' })).statusCode).toBe(401);
    const attention = await t.app.inject({ method: 'GET', url: '/admin/sagas/attention', headers: auth });
    expect(json(attention.body)).toEqual({ sagas: [] });
    const { orderId } = json((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody() })).body);
    await waitForSaga(orderId);
    const saga = json((await t.app.inject({ method: 'GET', url: `/sagas/${orderId}` })).body);
    expect(saga).toMatchObject({ status: 'Completed', state: { sagaId: orderId } });
    expect(saga.log.map((e: { type: string }) => e.type)).toContain('SagaCompleted');
    const retry = await t.app.inject({ method: 'POST', url: `/admin/sagas/${orderId}/retry`, headers: auth, payload: { note: 'why not' } });
    expect(retry.statusCode).toBe(409);
    expect(json(retry.body).error.code).toBe('EVENTFOLD_SAGA_STATE');
    const resolve = await t.app.inject({
      method: 'POST',
      url: '/admin/sagas/no-such-order/resolve',
      headers: auth,
      payload: { resolution: 'compensated', note: 'refunded by hand' },
    });
    expect(resolve.statusCode).toBe(404);
    const noNote = await t.app.inject({ method: 'POST', url: `/admin/sagas/${orderId}/resolve`, headers: auth, payload: { resolution: 'completed' } });
    expect(noNote.statusCode).toBe(400);
  });

  test('bad input: 400 naming the field, 404 unknown ids, 413 huge bodies, 415 non-JSON', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/orders', payload: { customerId: 'ada' } });
    expect(missing.statusCode).toBe(400);
    expect(json(missing.body).error.message).toContain('lines');
    const wrongType = await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ lines: [{ sku: 'TEA-001', quantity: '2' }] }) });
    expect(json(wrongType.body).error).toMatchObject({ code: 'EVENTFOLD_VALIDATION', path: 'body.lines.0.quantity' });
    expect((await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ lines: [{ sku: 'NOPE-1', quantity: 1 }] }) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/orders/unknown-order' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/orders/unknown-order/cancel' })).statusCode).toBe(404);
    const huge = await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody({ customerId: 'x'.repeat(100_000) }) });
    expect(huge.statusCode).toBe(413);
    const text = await t.app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    const future = await t.app.inject({ method: 'GET', url: '/orders/x?minPosition=999999999' });
    expect(future.statusCode).toBe(400);
  });

  test('dead letters: admin only; an unreadable message is listed and replayed', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/admin/dead-letters' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/admin/dead-letters', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const out = defineBinding('test-out', { binder: t.shop.transport.binder, destination: 'shop.payments' });
    await t.shop.transport.publish(out, [encodeJsonMessage({ id: uuidv7(), type: 'PaymentTeleported', key: 'x', data: { orderId: 'x' } })]);
    const deadline = Date.now() + 10_000;
    let letters: Record<string, Loose>[] = [];
    while (letters.length === 0 && Date.now() < deadline) {
      letters = json((await t.app.inject({ method: 'GET', url: '/admin/dead-letters', headers: auth })).body).deadLetters;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(letters[0]).toMatchObject({ type: 'PaymentTeleported', errorCode: 'EVENTFOLD_UNREADABLE_MESSAGE', binding: 'fulfilment-saga-from-payments' });
    const replay = await t.app.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers: auth, payload: { binding: letters[0]?.binding } });
    expect(json(replay.body)).toEqual({ replayed: 1 });
    const unknown = await t.app.inject({ method: 'POST', url: '/admin/dead-letters/replay', headers: auth, payload: { binding: 'nope' } });
    expect(unknown.statusCode).toBe(404);
  });
});
