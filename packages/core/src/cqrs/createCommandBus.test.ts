import diagnostics from 'node:diagnostics_channel';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { DuplicateHandlerError, NoHandlerError, ValidationError } from './busErrors.js';
import { BUS_HANDLED_CHANNEL, type BusHandledMessage, PROJECTION_BATCH_CHANNEL, type ProjectionBatchMessage } from './cqrsDiagnostics.js';
import { createCommandBus } from './createCommandBus.js';
import { createProjectionRunner } from './createProjectionRunner.js';
import { defineProjection } from './defineProjection.js';
import { currentMessageContext } from './messageContext.js';
import { correlation, idempotency, logging } from './middleware.js';
import { createMemoryProjectionTarget } from './projectionTarget.js';

type Cmd = { type: 'PlaceOrder'; data: { orderId: string; lines: { sku: string; qty: number }[] } } | { type: 'ShipOrder'; data: { orderId: string } };

describe('command bus', () => {
  test('dispatches to the one handler and returns its result', async () => {
    const bus = createCommandBus<Cmd>();
    bus.register('PlaceOrder', (command) => `placed ${command.data.orderId}`);
    await expect(bus.dispatch({ type: 'PlaceOrder', data: { orderId: 'o1', lines: [] } })).resolves.toBe('placed o1');
  });

  test('no handler and a second handler are typed errors', async () => {
    const bus = createCommandBus<Cmd>();
    await expect(bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o1' } })).rejects.toBeInstanceOf(NoHandlerError);
    await expect(bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o1' } })).rejects.toMatchObject({ code: 'EVENTFOLD_NO_HANDLER' });
    bus.register('ShipOrder', () => 1);
    expect(() => bus.register('ShipOrder', () => 2)).toThrow(DuplicateHandlerError);
    expect(() => bus.register('ShipOrder', () => 2)).toThrow(/already registered/);
  });

  test('schema validation names the failing field path', async () => {
    const bus = createCommandBus<Cmd>();
    const schema = z.object({
      type: z.literal('PlaceOrder'),
      data: z.object({ orderId: z.string(), lines: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })) }),
    });
    let handled = 0;
    bus.register('PlaceOrder', () => handled++, { schema });
    const error = await bus
      .dispatch({
        type: 'PlaceOrder',
        data: {
          orderId: 'o1',
          lines: [
            { sku: 'a', qty: 1 },
            { sku: 'b', qty: 0 },
          ],
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'EVENTFOLD_VALIDATION', path: 'data.lines[1].qty' });
    expect((error as Error).message).toContain('data.lines[1].qty');
    expect(handled).toBe(0);
  });

  test('logging records ids, outcome and error code', async () => {
    const lines: [string, Record<string, unknown>][] = [];
    const logger = {
      info: (m: string, f: Record<string, unknown>) => lines.push([m, f]),
      error: (m: string, f: Record<string, unknown>) => lines.push([m, f]),
    };
    const bus = createCommandBus<Cmd>({ middleware: [logging({ logger })] });
    bus.register('ShipOrder', () => 'ok');
    await bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o1' } }, { messageId: 'm-1', correlationId: 'c-1' });
    await bus.dispatch({ type: 'PlaceOrder', data: { orderId: 'o1', lines: [] } }).catch(() => undefined);
    expect(lines[0]).toEqual(['command ShipOrder handled', expect.objectContaining({ messageId: 'm-1', correlationId: 'c-1', type: 'ShipOrder' })]);
    expect(lines[1]).toEqual(['command PlaceOrder failed', expect.objectContaining({ code: 'EVENTFOLD_NO_HANDLER' })]);
  });

  test('with correlation(), nested dispatches and appends inherit the correlation id and name their cause', async () => {
    const store = createInMemoryEventStore();
    const bus = createCommandBus<Cmd>({ middleware: [correlation()] });
    const seen: unknown[] = [];
    const ids = () => {
      const c = currentMessageContext();
      return { messageId: c?.messageId, correlationId: c?.correlationId, causationId: c?.causationId };
    };
    bus.register('PlaceOrder', async (command) => {
      seen.push(ids());
      await bus.dispatch({ type: 'ShipOrder', data: { orderId: command.data.orderId } }, { messageId: 'ship-1' });
    });
    bus.register('ShipOrder', async () => {
      const context = currentMessageContext();
      seen.push(ids());
      await store.appendToStream('order-o1', [{ type: 'OrderShipped', data: {}, correlationId: context?.correlationId, causationId: context?.messageId }]);
    });
    await bus.dispatch({ type: 'PlaceOrder', data: { orderId: 'o1', lines: [] } }, { messageId: 'place-1', correlationId: 'flow-1' });
    expect(seen).toEqual([
      { messageId: 'place-1', correlationId: 'flow-1', causationId: undefined },
      { messageId: 'ship-1', correlationId: 'flow-1', causationId: 'place-1' },
    ]);
    expect(await store.readStream('order-o1')).toMatchObject([{ correlationId: 'flow-1', causationId: 'ship-1' }]);
    // Without given ids the bus makes a UUID v7 and a top-level command correlates with itself.
    seen.length = 0;
    await bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o2' } });
    const [top] = seen as { messageId: string; correlationId: string }[];
    expect(top?.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(top?.correlationId).toBe(top?.messageId);
  });

  test('without correlation() each handler still gets its context as the second argument', async () => {
    const bus = createCommandBus<Cmd>();
    const seen: unknown[] = [];
    bus.register('ShipOrder', (_command, context) => {
      seen.push([context.messageId, context.correlationId, context.causationId, currentMessageContext()]);
    });
    await bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o1' } }, { messageId: 'm-1', correlationId: 'flow-1', causationId: 'click-1' });
    expect(seen).toEqual([['m-1', 'flow-1', 'click-1', undefined]]);
  });

  test('idempotency: the same command id is handled once; a failure is forgotten so a retry runs', async () => {
    const bus = createCommandBus<Cmd>({ middleware: [idempotency()] });
    let calls = 0;
    let fail = true;
    bus.register('ShipOrder', async () => {
      calls++;
      if (fail) throw new Error('carrier down');
      return calls;
    });
    const ship = { type: 'ShipOrder', data: { orderId: 'o1' } } as const;
    await expect(bus.dispatch(ship, { messageId: 'x' })).rejects.toThrow('carrier down');
    fail = false;
    const results = await Promise.all([bus.dispatch(ship, { messageId: 'x' }), bus.dispatch(ship, { messageId: 'x' })]);
    expect(results).toEqual([2, 2]);
    expect(await bus.dispatch(ship, { messageId: 'x' })).toBe(2);
    expect(await bus.dispatch(ship)).toBe(3);
    expect(calls).toBe(3);
  });

  test('a message without a type is refused', async () => {
    const bus = createCommandBus();
    await expect(bus.dispatch(null as never)).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
  });
});

describe('diagnostics', () => {
  test('bus dispatches and projection batches are published on diagnostics channels', async () => {
    const handled: BusHandledMessage[] = [];
    const batches: ProjectionBatchMessage[] = [];
    const onHandled = (m: unknown) => void handled.push(m as BusHandledMessage);
    const onBatch = (m: unknown) => void batches.push(m as ProjectionBatchMessage);
    diagnostics.subscribe(BUS_HANDLED_CHANNEL, onHandled);
    diagnostics.subscribe(PROJECTION_BATCH_CHANNEL, onBatch);
    try {
      const bus = createCommandBus<Cmd>();
      bus.register('ShipOrder', () => 'ok');
      await bus.dispatch({ type: 'ShipOrder', data: { orderId: 'o1' } }, { messageId: 'm-1' });
      await bus.dispatch({ type: 'PlaceOrder', data: { orderId: 'o1', lines: [] } }, { messageId: 'm-2' }).catch(() => undefined);
      expect(handled.map((h) => [h.type, h.messageId, h.failure])).toEqual([
        ['ShipOrder', 'm-1', undefined],
        ['PlaceOrder', 'm-2', 'EVENTFOLD_NO_HANDLER'],
      ]);
      const store = createInMemoryEventStore();
      await store.appendToStream('s', [{ type: 'X', data: {} }]);
      const projection = defineProjection<null>({ name: 'observed', handlers: { X: () => undefined } });
      await createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(null, store.checkpoints) }).catchUp();
      expect(batches).toEqual([expect.objectContaining({ projection: 'observed', events: 1, position: 1n })]);
    } finally {
      diagnostics.unsubscribe(BUS_HANDLED_CHANNEL, onHandled);
      diagnostics.unsubscribe(PROJECTION_BATCH_CHANNEL, onBatch);
    }
  });
});
