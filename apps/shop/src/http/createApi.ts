/**
 * The shop's HTTP API (fastify). Commands answer 202 with the global position of what they wrote;
 * queries accept `?minPosition=` (or the `x-eventfold-position` header) to read their own writes.
 * Inputs are validated by JSON schema; every failure is a JSON error with a 4xx status.
 */
import { timingSafeEqual } from 'node:crypto';
import { runInMessageContext, uuidv7 } from '@eventfold/core';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Shop } from '../createShop.js';
import { errorHandler, HttpError } from './httpErrors.js';
import { registerQueryRoutes } from './queryRoutes.js';
import * as schema from './schemas.js';

export interface ApiOptions {
  /** Largest accepted request body in bytes. Default 64 KiB; larger bodies get 413. */
  bodyLimit?: number;
  logger?: boolean;
}

type PlaceOrderBody = {
  orderId?: string;
  customerId: string;
  lines: { sku: string; quantity: number }[];
  shippingAddress: { name: string; street: string; city: string; postcode: string; country: string };
  paymentToken: string;
};

export function createApi(shop: Shop, options: ApiOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Strict validation: wrong types are errors, not coerced; unknown properties are errors, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    genReqId: () => uuidv7(),
    // Router errors (malformed percent-encoding, over-long path parameters) get the same JSON errors.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  });
  app.setErrorHandler(errorHandler);
  // JSON only: any other body (text/plain included) is answered 415.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}; see docs/shop.md for the API.` } });
  });

  const { services, clock } = shop;
  const position = (p: bigint | undefined) => (p === undefined ? undefined : String(p));

  app.post<{ Body: PlaceOrderBody }>('/orders', { schema: { body: schema.placeOrderBody } }, async (request, reply) => {
    const orderId = request.body.orderId ?? uuidv7();
    const result = await runInMessageContext({ messageId: request.id, correlationId: orderId, causationId: undefined, headers: {} }, () =>
      services.orders.place({ ...request.body, orderId }, clock.now()),
    );
    // No shop.wake() here: the append itself nudges the read models (within their poll interval), so a
    // stream of placements is projected in batches instead of one batch per request.
    const at = position(result.position);
    if (at) void reply.header('x-eventfold-position', at);
    return reply.status(202).send({ orderId, status: 'placed', total: result.total, position: at ?? null, links: { self: `/orders/${orderId}` } });
  });

  app.post<{ Params: { orderId: string }; Body: { reason?: string } | null }>(
    '/orders/:orderId/cancel',
    { schema: { params: schema.orderParams, body: schema.cancelOrderBody } },
    async (request, reply) => {
      const { orderId } = request.params;
      const at = await runInMessageContext({ messageId: request.id, correlationId: orderId, causationId: undefined, headers: {} }, () =>
        services.orders.cancel(orderId, request.body?.reason ?? 'cancelled by customer'),
      );
      if (at !== undefined) void reply.header('x-eventfold-position', String(at));
      return reply.status(202).send({ orderId, status: 'cancelled', position: position(at) ?? null });
    },
  );

  app.post<{ Params: { sku: string }; Body: { quantity: number } }>(
    '/stock/:sku/add',
    { schema: { params: schema.skuParams, body: schema.addStockBody } },
    async (request, reply) => {
      const at = await services.inventory.add(request.params.sku, request.body.quantity);
      if (at !== undefined) void reply.header('x-eventfold-position', String(at));
      return reply.status(202).send({ sku: request.params.sku, added: request.body.quantity, position: position(at) ?? null });
    },
  );

  const adminToken = Buffer.from(shop.config.adminToken);
  const requireAdmin = async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    const token = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (token.length !== adminToken.length || !timingSafeEqual(token, adminToken)) {
      throw new HttpError(401, 'UNAUTHORIZED', 'Admin endpoints need `Authorization: Bearer <SHOP_ADMIN_TOKEN>`.');
    }
  };
  const bindingNamed = (name: string | undefined) => {
    if (name === undefined) return [...shop.consumerBindings.values()];
    const binding = shop.consumerBindings.get(name);
    if (!binding)
      throw new HttpError(404, 'UNKNOWN_BINDING', `No consumer binding "${name}" in this process; known: ${[...shop.consumerBindings.keys()].join(', ')}.`);
    return [binding];
  };

  app.get<{ Querystring: { binding?: string; limit?: string } }>(
    '/admin/dead-letters',
    { schema: { querystring: schema.deadLettersQuery }, onRequest: requireAdmin },
    async (request) => {
      const limit = Number(request.query.limit ?? 100);
      const letters = [];
      for (const binding of bindingNamed(request.query.binding)) {
        for (const letter of await shop.transport.deadLetters.list(binding, { limit })) {
          letters.push({
            binding: binding.name,
            deadLetterId: letter.deadLetterId,
            type: letter.message.type,
            messageId: letter.message.id,
            reason: letter.reason,
            errorCode: letter.errorCode ?? null,
            attempts: letter.attempts,
            deadLetteredAt: letter.deadLetteredAt.toISOString(),
          });
        }
      }
      return { deadLetters: letters };
    },
  );

  app.post<{ Body: { binding: string; ids?: string[] } }>(
    '/admin/dead-letters/replay',
    { schema: { body: schema.replayBody }, onRequest: requireAdmin },
    async (request) => {
      const [binding] = bindingNamed(request.body.binding);
      const replayed = await shop.transport.deadLetters.replay(binding as NonNullable<typeof binding>, request.body.ids);
      return { replayed };
    },
  );

  // The fulfilment saga's operator API (orchestration): sagas waiting for a human, retry, resolve by hand.
  const operator = () => {
    if (!shop.fulfilment) throw new HttpError(404, 'SAGA_NOT_FOUND', 'This process does not run the fulfilment saga (orchestration, orders service).');
    return shop.fulfilment.operator;
  };
  const sagaAnswer = (orderId: string, state: { status: string; step: string | undefined; phase: string }) => ({
    orderId,
    status: state.status,
    step: state.step ?? null,
    phase: state.phase,
  });

  app.get('/admin/sagas/attention', { onRequest: requireAdmin }, async () => ({ sagas: await operator().needingAttention() }));

  app.post<{ Params: { orderId: string }; Body: { note?: string } | null }>(
    '/admin/sagas/:orderId/retry',
    { schema: { params: schema.orderParams, body: schema.sagaRetryBody }, onRequest: requireAdmin },
    async (request) => {
      const { orderId } = request.params;
      const state = await operator().retry(orderId, request.body?.note === undefined ? {} : { note: request.body.note });
      shop.wake();
      return sagaAnswer(orderId, state);
    },
  );

  app.post<{ Params: { orderId: string }; Body: { resolution: 'completed' | 'compensated'; note: string } }>(
    '/admin/sagas/:orderId/resolve',
    { schema: { params: schema.orderParams, body: schema.sagaResolveBody }, onRequest: requireAdmin },
    async (request) => {
      const { orderId } = request.params;
      const resolution = request.body.resolution === 'completed' ? 'Completed' : 'Compensated';
      return sagaAnswer(orderId, await operator().resolve(orderId, { resolution, note: request.body.note }));
    },
  );

  registerQueryRoutes(app, shop);
  return app;
}
