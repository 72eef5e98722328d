/**
 * API fuzzing: per endpoint, many generated bad requests (wrong types, missing fields, extra fields,
 * huge bodies, wrong content types, unknown ids, injection strings). Every answer must be a 4xx JSON
 * error — never ≥ 500 — and the database must be exactly as before: no event appended, no read model
 * row changed. SHOP_FUZZ_RUNS sets the requests per endpoint (default 1,000; the 10,000 with
 * SHOP_FUZZ_RUNS=10000).
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_TOKEN, createTestShop, orderBody, type TestShop } from '../testing/createTestShop.js';

const RUNS = Number(process.env.SHOP_FUZZ_RUNS ?? 1_000);
const ID = /^[A-Za-z0-9_-]{1,64}$/;

let t: TestShop;
let completedOrder: string;
beforeAll(async () => {
  t = await createTestShop({ store: 'sqlite' });
  // One real order, so ids of existing streams are in play too; wait until the shop is idle.
  const placed = await t.app.inject({ method: 'POST', url: '/orders', payload: orderBody() });
  completedOrder = (JSON.parse(placed.body) as { orderId: string }).orderId;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const saga = JSON.parse((await t.app.inject({ method: 'GET', url: `/sagas/${completedOrder}` })).body) as { step: string };
    const lag = JSON.parse((await t.app.inject({ method: 'GET', url: '/projections' })).body) as { projections: { lagEvents: number }[] };
    if (saga.step === 'completed' && lag.projections.every((p) => p.lagEvents === 0)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await t?.close();
});

/** Everything a rejected request must leave untouched: the log's head and every read-model table. */
async function fingerprint(): Promise<string> {
  const db = t.shop.infrastructure.readModels.db;
  const tables = ['shop_orders', 'shop_timeline', 'shop_customer_activity', 'shop_revenue', 'shop_stock', 'eventfold_snapshots', 'eventfold_events'];
  const counts = tables.map((name) => db.prepare(`SELECT count(*) FROM ${name}`).pluck().get());
  const stock = db.prepare("SELECT group_concat(sku || available || reserved, ',') FROM shop_stock").pluck().get();
  return JSON.stringify([String(await t.shop.infrastructure.store.headPosition()), counts, stock]);
}

const injection = fc.constantFrom(
  "' OR 1=1 --",
  '"; DROP TABLE eventfold_events; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as a literal string.
  '${7*7}',
  '\u0000',
  'NEAR(tea mug) OR *',
  '{"$gt":""}',
  '🙂'.repeat(40),
  'a'.repeat(3000),
  '-1',
  '1e309',
);
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  injection,
);
/** Any value that is not a valid id string. */
const badId = fc.oneof(junk, fc.constant(''), fc.string({ minLength: 65, maxLength: 90 })).filter((v) => typeof v !== 'string' || !ID.test(v));
/** A well-formed id that names nothing. */
const unknownId = fc.stringMatching(/^[a-z0-9]{6,20}$/).map((s) => `unknown-${s}`);
const pathSegment = fc.oneof(
  badId.map((v) => encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v)) || '%20'),
  unknownId,
);
const HUGE = 'x'.repeat(70 * 1024);

type Req = InjectOptions & { write: boolean };

/** Breaks a valid JSON body in one of many ways; the result is never valid. */
function brokenBody(valid: Record<string, unknown>, required: readonly string[], fieldJunk: fc.Arbitrary<[string, unknown]>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(...required).map((field) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field))),
    fieldJunk.map(([field, value]) => ({ ...valid, [field]: value })),
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !(k in valid)),
        junk,
      )
      .map(([k, v]) => ({ ...valid, [k]: v })),
    fc.oneof(fc.array(junk, { maxLength: 3 }), fc.integer(), fc.string(), fc.constant(null)),
    fc.constant({ ...valid, padding: HUGE }),
  );
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
);
function withBody(method: 'POST', url: fc.Arbitrary<string>, body: fc.Arbitrary<unknown>, headers: Record<string, string> = {}): fc.Arbitrary<Req> {
  return fc.tuple(url, body, contentTypes).map(([u, b, type]) => ({
    method,
    url: u,
    headers: { ...headers, 'content-type': type },
    payload: type === 'application/json' ? JSON.stringify(b) : typeof b === 'string' ? b : JSON.stringify(b),
    write: true,
  }));
}
const get = (url: fc.Arbitrary<string>, headers: Record<string, string> = {}): fc.Arbitrary<Req> =>
  url.map((u) => ({ method: 'GET', url: u, headers, write: false }));
const query = (keys: readonly string[]) =>
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...keys), fc.string({ minLength: 1, maxLength: 10 })),
      fc.oneof(fc.string({ maxLength: 30 }), injection, fc.constant('99999999999999999999')),
      { minKeys: 1, maxKeys: 3 },
    )
    .map((q) => new URLSearchParams(q).toString());

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const lineJunk: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constant('customerId'), badId),
  fc.tuple(fc.constant('paymentToken'), badId),
  fc.tuple(fc.constant('orderId'), badId),
  fc.tuple(
    fc.constant('lines'),
    fc.oneof(
      junk.filter((v) => !Array.isArray(v)),
      fc.constant([]),
      fc.constant(Array.from({ length: 21 }, () => ({ sku: 'TEA-001', quantity: 1 }))),
    ),
  ),
  fc.tuple(
    fc.constant('lines'),
    fc.oneof(
      junk.filter((v) => !Number.isInteger(v) || (v as number) < 1 || (v as number) > 1000).map((q) => [{ sku: 'TEA-001', quantity: q }]),
      fc.oneof(injection, fc.integer()).map((sku) => [{ sku, quantity: 1 }]),
      fc.stringMatching(/^[A-Z]{3}-9[0-9]{2}$/).map((sku) => [{ sku, quantity: 1 }]), // well-formed but unknown: 404
      fc.constant([{ sku: 'TEA-001' }]),
    ),
  ),
  fc.tuple(fc.constant('shippingAddress'), fc.oneof(junk, fc.constant({ ...orderBody().shippingAddress, country: 'gb' }), fc.constant({ name: 'x' }))),
);

const endpoints: Record<string, fc.Arbitrary<Req>> = {
  'POST /orders': withBody('POST', fc.constant('/orders'), brokenBody(orderBody(), ['customerId', 'lines', 'shippingAddress', 'paymentToken'], lineJunk)),
  'POST /orders/:id/cancel': fc.oneof(
    withBody(
      'POST',
      pathSegment.map((id) => `/orders/${id}/cancel`),
      fc.oneof(fc.constant({}), fc.constant(null)),
    ),
    withBody('POST', fc.constant(`/orders/${encodeURIComponent('x')}/cancel`), fc.oneof(fc.constant({ reason: 'ok' }))).map((r) => ({
      ...r,
      url: '/orders/unknown-order/cancel',
    })),
    withBody(
      'POST',
      fc.constant('/orders/PLACEHOLDER/cancel'),
      fc.oneof(fc.constant({ reason: '' }), fc.constant({ reason: 5 }), fc.constant({ why: 'x' }), fc.constant({ reason: HUGE }), fc.constant([1])),
    ),
  ),
  'POST /stock/:sku/add': fc.oneof(
    withBody(
      'POST',
      pathSegment.map((sku) => `/stock/${sku}/add`),
      fc.constant({ quantity: 1 }),
    ),
    withBody(
      'POST',
      fc.constant('/stock/TEA-001/add'),
      brokenBody(
        { quantity: 5 },
        ['quantity'],
        fc.tuple(
          fc.constant('quantity'),
          junk.filter((v) => !Number.isInteger(v) || (v as number) < 1 || (v as number) > 1_000_000),
        ),
      ),
    ),
  ),
  'GET /orders/:id': fc.oneof(get(pathSegment.map((id) => `/orders/${id}`)), get(query(['minPosition']).map((q) => `/orders/PLACEHOLDER?${q}`))),
  'GET /orders': get(query(['status', 'customerId', 'limit', 'before']).map((q) => `/orders?${q}`)),
  'GET /orders/search': get(
    fc.oneof(
      query(['q', 'limit']).map((q) => `/orders/search?${q}`),
      injection.map((q) => `/orders/search?q=${encodeURIComponent(q)}`),
    ),
  ),
  'GET /products': get(
    fc
      .oneof(
        query(['q']),
        injection.map((q) => `q=${encodeURIComponent(q)}`),
      )
      .map((q) => `/products?${q}`),
  ),
  'GET /customers/:id/activity': get(pathSegment.map((id) => `/customers/${id}/activity`)),
  'GET /streams/:id/events': fc.oneof(
    get(pathSegment.map((id) => `/streams/${id}/events`)),
    get(fc.constantFrom('order-', 'payment-', 'stock-', '$inproc/', 'eventfold_events-').chain((p) => unknownId.map((id) => `/streams/${p}${id}/events`))),
    get(query(['fromVersion', 'limit']).map((q) => `/streams/order-PLACEHOLDER/events?${q}`)),
  ),
  'GET /streams/:id/state': fc.oneof(
    get(pathSegment.map((id) => `/streams/${id}/state`)),
    get(fc.constantFrom('order-', 'shipment-', 'fulfilment-').chain((p) => unknownId.map((id) => `/streams/${p}${id}/state`))),
    get(query(['version', 'asOf']).map((q) => `/streams/order-PLACEHOLDER/state?${q}`)),
  ),
  'GET /sagas/:id': get(pathSegment.map((id) => `/sagas/${id}`)),
  'GET /admin/dead-letters': fc.oneof(
    get(fc.constant('/admin/dead-letters'), {}),
    get(fc.constant('/admin/dead-letters'), { authorization: 'Bearer not-the-token' }),
    get(
      query(['binding', 'limit']).map((q) => `/admin/dead-letters?${q}`),
      auth,
    ),
  ),
  'POST /admin/sagas/:id/retry': fc.oneof(
    withBody('POST', fc.constant('/admin/sagas/PLACEHOLDER/retry'), fc.constant({ note: 'x' })),
    withBody(
      'POST',
      pathSegment.map((id) => `/admin/sagas/${id}/retry`),
      fc.constant({ note: 'x' }),
      auth,
    ),
    withBody(
      'POST',
      fc.constant('/admin/sagas/PLACEHOLDER/retry'),
      fc.oneof(fc.constant({ note: 'completed saga: 409' }), brokenBody({ note: 'x' }, ['note'], fc.tuple(fc.constant('note'), junk))),
      auth,
    ),
  ),
  'POST /admin/sagas/:id/resolve': fc.oneof(
    withBody('POST', fc.constant('/admin/sagas/PLACEHOLDER/resolve'), fc.constant({ resolution: 'completed', note: 'x' })),
    withBody(
      'POST',
      unknownId.map((id) => `/admin/sagas/${id}/resolve`),
      fc.constant({ resolution: 'compensated', note: 'refunded' }),
      auth,
    ),
    withBody(
      'POST',
      fc.constant('/admin/sagas/PLACEHOLDER/resolve'),
      brokenBody({ resolution: 'completed', note: 'x' }, ['resolution', 'note'], fc.tuple(fc.constantFrom('resolution', 'note'), junk)),
      auth,
    ),
  ),
  'POST /admin/dead-letters/replay': fc.oneof(
    withBody('POST', fc.constant('/admin/dead-letters/replay'), fc.constant({ binding: 'payments-from-fulfilment' })),
    withBody(
      'POST',
      fc.constant('/admin/dead-letters/replay'),
      brokenBody({ binding: 'payments-from-fulfilment' }, ['binding'], fc.tuple(fc.constant('binding'), badId)),
      auth,
    ),
    withBody(
      'POST',
      fc.constant('/admin/dead-letters/replay'),
      unknownId.map((binding) => ({ binding })),
      auth,
    ),
  ),
};

describe(`API fuzzing: ${RUNS} generated bad requests per endpoint`, () => {
  test.each(Object.keys(endpoints))(
    '%s: never ≥ 500, always a JSON error, the database unchanged',
    async (name) => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(endpoints[name] as fc.Arbitrary<Req>, async ({ write, ...request }) => {
          const url = String(request.url).replaceAll('PLACEHOLDER', completedOrder);
          const before = await fingerprint();
          const res = await t.app.inject({ ...request, url });
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode, `${request.method} ${url} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
          if (write || res.statusCode >= 400) {
            expect(res.statusCode, `${request.method} ${url} was accepted: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
            expect(JSON.parse(res.body).error.message).toEqual(expect.any(String));
          }
          expect(await fingerprint()).toBe(before);
        }),
        { numRuns: RUNS },
      );
      // The generators reach the rejections they are meant to: validation, and unknown ids or auth.
      expect([...seen.keys()].every((s) => s < 500)).toBe(true);
      expect(seen.size, `statuses seen: ${JSON.stringify([...seen])}`).toBeGreaterThanOrEqual(
        name.startsWith('GET /orders') || name === 'GET /products' ? 1 : 2,
      );
    },
    30_000 + RUNS * 30,
  );
});
