/** The read side of the API: read models (SQLite; search on FTS5, or tsvector on PostgreSQL), stream history, temporal state, saga state, projection status. */
import { isEventfoldError, type Repository, type SagaOperator, type SagaState } from '@eventfold/core';
import type { PostgresEventStore } from '@eventfold/postgres';
import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Shop } from '../createShop.js';
import { ORDERS_PROJECTION, positionText } from '../readModels/ordersProjection.js';
import { createPostgresSearch } from '../readModels/postgresSearch.js';
import { HttpError } from './httpErrors.js';
import * as schema from './schemas.js';

/** The words of a search (at most 10): letters, digits, '_' and '-'. 400 when there is none. */
export function searchWords(text: string): string[] {
  const words = text.match(/[\p{L}\p{N}_-]+/gu) ?? [];
  if (words.length === 0)
    throw new HttpError(400, 'EVENTFOLD_VALIDATION', 'querystring.q needs at least one letter or digit to search for.', { path: 'querystring.q' });
  return words.slice(0, 10);
}

/** FTS5 query from free text: each word quoted, so user input can never be FTS syntax. */
export function toFtsQuery(text: string): string {
  return searchWords(text)
    .map((w) => `"${w.replaceAll('"', '')}"`)
    .join(' ');
}

/** Rows of `table` whose `key` is in `keys`, in the order of `keys` (the search's ranking). */
function rowsInOrder(db: Database, table: 'shop_orders' | 'shop_stock', key: 'order_id' | 'sku', keys: readonly string[]): Record<string, unknown>[] {
  if (keys.length === 0) return [];
  const rows = db.prepare(`SELECT * FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?))`).all(JSON.stringify(keys)) as Record<string, unknown>[];
  const byKey = new Map(rows.map((r) => [r[key] as string, r]));
  return keys.flatMap((k): Record<string, unknown>[] => {
    const row = byKey.get(k);
    return row === undefined ? [] : [row];
  });
}

/**
 * What `GET /sagas/:orderId` shows of an orchestrated saga: `step` is one word for where it is — the
 * step in progress, or completed / compensated (cancelled) / failed (rejected, compensated) /
 * needs_attention — beside the saga state and its whole log, both from the saga machinery.
 */
function stepOf(state: SagaState): string {
  switch (state.status) {
    case 'New':
      return 'none';
    case 'Completed':
      return 'completed';
    case 'Compensated':
      return state.failure === undefined || state.failure === 'cancelled' ? 'compensated' : 'failed';
    case 'NeedsAttention':
      return 'needs_attention';
    default:
      return state.phase === 'compensation' ? `compensating:${state.step}` : (state.step ?? 'none');
  }
}

async function sagaView(orderId: string, operator: SagaOperator) {
  try {
    const { state, history } = await operator.status(orderId);
    return {
      orderId,
      style: 'orchestration',
      step: stepOf(state),
      status: state.status,
      state,
      log: history.map((e) => ({ type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data })),
    };
  } catch (error) {
    // The order exists but its saga has not started yet (its OrderPlaced is on the way).
    if (!isEventfoldError(error, 'EVENTFOLD_SAGA_NOT_FOUND')) throw error;
    return { orderId, style: 'orchestration', step: 'none', status: 'New', state: null, log: [] };
  }
}

const orderRow = (row: Record<string, unknown>) => ({
  orderId: row.order_id,
  customerId: row.customer_id,
  status: row.status,
  reason: row.reason ?? null,
  total: row.total,
  lines: JSON.parse(row.lines as string),
  city: row.city,
  payment: row.payment,
  stock: row.stock,
  shipment: row.shipment,
  trackingNumber: row.tracking_number ?? null,
  placedAt: row.placed_at,
  updatedAt: row.updated_at,
  position: positionText(row.position as string),
});

export function registerQueryRoutes(app: FastifyInstance, shop: Shop): void {
  const db = shop.infrastructure.readModels.db;
  const { store } = shop.infrastructure;
  // PostgreSQL mode searches the tsvector read side beside the store; embedded mode the FTS5 tables.
  const pgSearch = shop.config.store.kind === 'postgres' ? createPostgresSearch((store as PostgresEventStore).pool, shop.config.store.schema) : undefined;
  const ordersRunner = shop.projections.find((p) => p.name === ORDERS_PROJECTION);
  const repos = shop.services.repositories as unknown as Record<string, Repository<unknown, never, never>>;
  const byPrefix: Record<string, string> = {
    order: 'orders',
    payment: 'payments',
    stock: 'stock',
    reservation: 'reservations',
    shipment: 'shipments',
  };

  /** Read-your-writes: wait until the order read model has applied the caller's last write. */
  async function consistentWith(request: FastifyRequest<{ Querystring: { minPosition?: string } }>): Promise<void> {
    const header = request.headers['x-eventfold-position'];
    const text = request.query.minPosition ?? (typeof header === 'string' ? header : undefined);
    if (text === undefined) return;
    if (!/^\d{1,40}$/.test(text)) throw new HttpError(400, 'EVENTFOLD_VALIDATION', 'x-eventfold-position must be a global position (digits).');
    const position = BigInt(text);
    if (position > (await store.headPosition())) {
      throw new HttpError(400, 'EVENTFOLD_VALIDATION', `minPosition ${text} is beyond the end of the log; pass a position a write returned.`, {
        path: 'minPosition',
      });
    }
    await ordersRunner?.waitForPosition(position, { timeoutMs: 5_000 });
  }

  app.get<{ Params: { orderId: string }; Querystring: { minPosition?: string } }>(
    '/orders/:orderId',
    { schema: { params: schema.orderParams, querystring: schema.readYourWritesQuery } },
    async (request) => {
      await consistentWith(request);
      const row = db.prepare('SELECT * FROM shop_orders WHERE order_id = ?').get(request.params.orderId) as Record<string, unknown> | undefined;
      if (!row)
        throw new HttpError(
          404,
          'ORDER_NOT_FOUND',
          `No order ${request.params.orderId}; if you just placed it, pass ?minPosition=<position> to read your write.`,
        );
      const timeline = (
        db.prepare('SELECT type, occurred_at, position, data FROM shop_timeline WHERE order_id = ? ORDER BY position').all(request.params.orderId) as Record<
          string,
          unknown
        >[]
      ).map((t) => ({ type: t.type, occurredAt: t.occurred_at, position: positionText(t.position as string), data: JSON.parse(t.data as string) }));
      return { ...orderRow(row), timeline };
    },
  );

  app.get<{ Querystring: { status?: string; customerId?: string; limit?: string; before?: string } }>(
    '/orders',
    { schema: { querystring: schema.listOrdersQuery } },
    async (request) => {
      const { status, customerId } = request.query;
      const limit = Number(request.query.limit ?? 20);
      const rows = db
        .prepare(
          `SELECT * FROM shop_orders WHERE (@status IS NULL OR status = @status) AND (@customer IS NULL OR customer_id = @customer)
             AND (@before IS NULL OR rowid < @before) ORDER BY rowid DESC LIMIT @limit`,
        )
        .all({
          status: status ?? null,
          customer: customerId ?? null,
          before: request.query.before === undefined ? null : Number(request.query.before),
          limit,
        }) as Record<string, unknown>[];
      const cursor = rows.length === limit ? db.prepare('SELECT rowid FROM shop_orders WHERE order_id = ?').pluck().get(rows.at(-1)?.order_id) : undefined;
      return { orders: rows.map(orderRow), next: cursor === undefined ? null : String(cursor) };
    },
  );

  app.get<{ Querystring: { q: string; limit?: string } }>('/orders/search', { schema: { querystring: schema.searchQuery } }, async (request) => {
    const limit = Number(request.query.limit ?? 20);
    const rows = pgSearch
      ? rowsInOrder(db, 'shop_orders', 'order_id', await pgSearch.orders(searchWords(request.query.q).join(' '), limit))
      : (db
          .prepare('SELECT o.* FROM shop_orders_fts f JOIN shop_orders o ON o.order_id = f.order_id WHERE shop_orders_fts MATCH ? ORDER BY f.rank LIMIT ?')
          .all(toFtsQuery(request.query.q), limit) as Record<string, unknown>[]);
    return { orders: rows.map(orderRow) };
  });

  app.get<{ Querystring: { q?: string } }>('/products', { schema: { querystring: schema.productsQuery } }, async (request) => {
    const { q } = request.query;
    const rows = (
      q === undefined
        ? db.prepare('SELECT * FROM shop_stock ORDER BY sku').all()
        : pgSearch
          ? rowsInOrder(db, 'shop_stock', 'sku', await pgSearch.products(searchWords(q).join(' '), 50))
          : db
              .prepare('SELECT s.* FROM shop_products_fts f JOIN shop_stock s ON s.sku = f.sku WHERE shop_products_fts MATCH ? ORDER BY f.rank LIMIT 50')
              .all(toFtsQuery(q))
    ) as Record<string, unknown>[];
    return {
      products: rows.map((r) => ({
        sku: r.sku,
        name: r.name,
        description: r.description,
        unitPrice: r.unit_price,
        available: r.available,
        reserved: r.reserved,
        shipped: r.shipped,
      })),
    };
  });

  app.get<{ Params: { customerId: string } }>('/customers/:customerId/activity', { schema: { params: schema.customerParams } }, async (request) => {
    const rows = db
      .prepare('SELECT order_id, type, occurred_at, position FROM shop_customer_activity WHERE customer_id = ? ORDER BY position DESC LIMIT 200')
      .all(request.params.customerId) as Record<string, unknown>[];
    return {
      customerId: request.params.customerId,
      activity: rows.map((r) => ({ orderId: r.order_id, type: r.type, occurredAt: r.occurred_at, position: positionText(r.position as string) })),
    };
  });

  app.get('/revenue', async () => ({ days: db.prepare('SELECT day, orders, revenue FROM shop_revenue ORDER BY day').all() }));

  app.get<{ Params: { streamId: string }; Querystring: { fromVersion?: string; limit?: string } }>(
    '/streams/:streamId/events',
    { schema: { params: schema.streamParams, querystring: schema.streamEventsQuery } },
    async (request) => {
      const { streamId } = request.params;
      if ((await store.streamVersion(streamId)) === 0) throw new HttpError(404, 'STREAM_NOT_FOUND', `Stream ${streamId} has no events.`);
      const events = await store.readStream(streamId, {
        fromVersion: Math.max(1, Number(request.query.fromVersion ?? 1)),
        maxCount: Number(request.query.limit ?? 100),
      });
      return {
        streamId,
        events: events.map((e) => ({
          eventId: e.eventId,
          type: e.type,
          schemaVersion: e.schemaVersion,
          streamPosition: e.streamPosition,
          globalPosition: String(e.globalPosition),
          occurredAt: e.occurredAt.toISOString(),
          correlationId: e.correlationId ?? null,
          causationId: e.causationId ?? null,
          data: e.data,
        })),
      };
    },
  );

  app.get<{ Params: { streamId: string }; Querystring: { version?: string; asOf?: string } }>(
    '/streams/:streamId/state',
    { schema: { params: schema.streamParams, querystring: schema.streamStateQuery } },
    async (request) => {
      const { streamId } = request.params;
      const dash = streamId.indexOf('-');
      const repository = repos[byPrefix[streamId.slice(0, dash)] ?? ''];
      if (!repository) throw new HttpError(404, 'STREAM_NOT_FOUND', `No aggregate type for stream ${streamId}.`);
      const { version, asOf } = request.query;
      if (version !== undefined && asOf !== undefined) throw new HttpError(400, 'EVENTFOLD_VALIDATION', 'Give version or asOf, not both.');
      const at = asOf === undefined ? undefined : new Date(asOf);
      if (at !== undefined && Number.isNaN(at.getTime()))
        throw new HttpError(400, 'EVENTFOLD_VALIDATION', `asOf "${asOf}" is not a valid instant.`, { path: 'querystring.asOf' });
      if ((await store.streamVersion(streamId)) === 0) throw new HttpError(404, 'STREAM_NOT_FOUND', `Stream ${streamId} has no events.`);
      const loaded = await repository.load(streamId.slice(dash + 1), {
        ...(version !== undefined ? { toVersion: Number(version) } : {}),
        ...(at !== undefined ? { asOf: at } : {}),
      });
      return { streamId, version: loaded.version, asOf: at?.toISOString() ?? null, state: loaded.state };
    },
  );

  app.get<{ Params: { orderId: string } }>('/sagas/:orderId', { schema: { params: schema.orderParams } }, async (request) => {
    const { orderId } = request.params;
    if ((await store.streamVersion(`order-${orderId}`)) === 0) throw new HttpError(404, 'ORDER_NOT_FOUND', `No order ${orderId}.`);
    if (shop.config.sagaStyle === 'orchestration') {
      if (!shop.fulfilment) throw new HttpError(404, 'SAGA_NOT_FOUND', 'This process does not run the fulfilment saga; ask the orders service.');
      return sagaView(orderId, shop.fulfilment.operator);
    }
    // Choreography has no coordinator: the flow is traced from the events that carry the order's correlation id.
    const streams = ['order', 'payment', 'reservation', 'shipment'].map((p) => `${p}-${orderId}`);
    const events = (await Promise.all(streams.map((s) => store.readStream(s)))).flat().sort((a, b) => (a.globalPosition < b.globalPosition ? -1 : 1));
    const order = await shop.services.repositories.orders.load(orderId);
    return {
      orderId,
      style: 'choreography',
      step: order.state.status,
      flow: events.map((e) => ({ streamId: e.streamId, type: e.type, occurredAt: e.occurredAt.toISOString(), correlationId: e.correlationId ?? null })),
    };
  });

  app.get('/projections', async () => {
    const statuses = await Promise.all(shop.projections.map((p) => p.status()));
    return {
      projections: statuses.map((s) => ({
        name: s.name,
        state: s.state,
        position: s.position === undefined ? null : String(s.position),
        headPosition: String(s.headPosition),
        lagEvents: s.lagEvents,
        lagSeconds: s.lagSeconds,
      })),
    };
  });
}
