import { createManualClock, currentMessageContext, sagaStreamId } from '@eventfold/core';
import { createSqliteEventStore } from '@eventfold/sqlite';
import { afterEach, describe, expect, test } from 'vitest';
import type { IntegrationMessage } from '../contracts/integrationEvents.js';
import { createFulfilment, type Fulfilment, type FulfilmentOptions } from './createFulfilment.js';

const placed: IntegrationMessage = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o1',
    customerId: 'ada',
    lines: [{ sku: 'TEA-001', quantity: 1, unitPrice: 1250 }],
    total: 1250,
    shippingAddress: { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' },
    paymentToken: 'tok_visa',
  },
};
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function setUp(more: Pick<FulfilmentOptions, 'localCommands' | 'onError'> = {}) {
  const store = createSqliteEventStore({ path: ':memory:' });
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const fulfilment: Fulfilment = await createFulfilment({ config: { store: { kind: 'sqlite', path: ':memory:' } }, store, clock, ...more });
  stops.push(async () => {
    await fulfilment.stop();
    store.close();
  });
  const commands = async () =>
    (await store.readStream(sagaStreamId('Fulfilment', 'o1')))
      .filter((e) => e.type === 'SagaCommandIssued')
      .map((e) => (e.data as { command: { type: string }; attempt: number }).command.type);
  return { store, clock, fulfilment, commands };
}

describe('the fulfilment saga on the runner', () => {
  test('a delivered start issues the first command; the same message again changes nothing', async () => {
    const { store, fulfilment, commands } = await setUp();
    await fulfilment.deliver(placed, { messageId: 'm-1', correlationId: 'o1' });
    await fulfilment.deliver(placed, { messageId: 'm-1', correlationId: 'o1' });
    expect(await commands()).toEqual(['FulfilmentPaymentRequested']);
    const log = await store.readStream(sagaStreamId('Fulfilment', 'o1'));
    expect(log[0]?.correlationId).toBe('o1');
    // A reply delivered twice moves the saga once.
    const authorized: IntegrationMessage = { type: 'PaymentAuthorized', data: { orderId: 'o1', amount: 1250 } };
    await fulfilment.deliver(authorized, { messageId: 'm-2', correlationId: 'o1' });
    await fulfilment.deliver(authorized, { messageId: 'm-2', correlationId: 'o1' });
    expect(await commands()).toEqual(['FulfilmentPaymentRequested', 'FulfilmentStockRequested']);
    expect((await fulfilment.operator.status('o1')).state).toMatchObject({ status: 'Running', step: 'stock' });
  });

  test('an unanswered command is sent again by the runner after its durable timeout', async () => {
    const { clock, fulfilment, commands } = await setUp();
    await fulfilment.deliver(placed, { messageId: 'm-1', correlationId: 'o1' });
    await fulfilment.runner.runOnce(); // the timeout is held (unanswered so far, it may yet be settled unwritten)
    expect(await fulfilment.timers.pending('saga:Fulfilment')).toBe(0);
    clock.advance(2_000);
    await fulfilment.runner.runOnce(); // held long enough: written, and the runner reads its log entry
    expect(await fulfilment.timers.pending('saga:Fulfilment')).toBe(1);
    clock.advance(27_000);
    expect((await fulfilment.runner.runOnce()).timers).toBe(0);
    clock.advance(1_000);
    expect((await fulfilment.runner.runOnce()).timers).toBe(1); // timeout: retry scheduled
    clock.advance(1_500);
    await fulfilment.runner.runOnce(); // the retry timer: the command again
    expect(await commands()).toEqual(['FulfilmentPaymentRequested', 'FulfilmentPaymentRequested']);
    expect((await fulfilment.operator.status('o1')).state).toMatchObject({ step: 'payment', attempt: 2 });
  });

  test('the runner does not handle starts and replies itself, so a fresh runner over the log issues nothing', async () => {
    const { store, commands, fulfilment } = await setUp();
    await store.appendToStream('order-o1', [{ type: 'OrderPlaced', data: placed.data }]);
    await fulfilment.runner.drain();
    expect(await commands()).toEqual([]);
  });
});

describe('the saga beside the orders service skips the broker within its process', () => {
  const step = (type: string, data: Record<string, unknown>, id: string) => ({ message: { type, data: { orderId: 'o1', ...data } } as IntegrationMessage, id });
  const replies = [
    step('PaymentAuthorized', { amount: 1250 }, 'm-2'),
    step('ReservationConfirmed', {}, 'm-3'),
    step('ShipmentScheduled', { trackingNumber: 'T1' }, 'm-4'),
  ];

  test("startLocally starts the saga at once; the broker's OrderPlaced then changes nothing, and a redelivery of it neither", async () => {
    const { store, fulfilment, commands } = await setUp();
    await fulfilment.startLocally(placed);
    expect(await commands()).toEqual(['FulfilmentPaymentRequested']);
    const before = (await store.readStream(sagaStreamId('Fulfilment', 'o1'))).length;
    await fulfilment.deliver(placed, { messageId: 'broker-1', correlationId: 'o1' });
    await fulfilment.deliver(placed, { messageId: 'broker-1', correlationId: 'o1' });
    expect((await store.readStream(sagaStreamId('Fulfilment', 'o1'))).length).toBe(before);
    expect((await fulfilment.operator.status('o1')).state).toMatchObject({ status: 'Running', step: 'payment' });
  });

  test("when startLocally fails, the broker's OrderPlaced starts the saga as before", async () => {
    const { store, fulfilment, commands } = await setUp();
    const append = store.appendToStream;
    store.appendToStream = async () => {
      throw new Error('database gone');
    };
    await expect(fulfilment.startLocally(placed)).rejects.toThrow('database gone');
    store.appendToStream = append;
    expect(await commands()).toEqual([]);
    await fulfilment.deliver(placed, { messageId: 'broker-1', correlationId: 'o1' });
    expect(await commands()).toEqual(['FulfilmentPaymentRequested']);
  });

  test('commands for the local service are handed to it at once, in a message context whose cause is the command id; others are not', async () => {
    const handed: { type: string; orderId: string; causationId: string | undefined; commandId: string }[] = [];
    const { store, fulfilment } = await setUp({
      localCommands: {
        to: 'orders',
        handle: async (command) => {
          const context = currentMessageContext();
          handed.push({ type: command.type, orderId: command.data.orderId, causationId: context?.causationId, commandId: context?.messageId ?? '' });
        },
      },
    });
    await fulfilment.deliver(placed, { messageId: 'm-1', correlationId: 'o1' });
    for (const { message, id } of replies) await fulfilment.deliver(message, { messageId: id, correlationId: 'o1' });
    await new Promise((r) => setImmediate(r));
    expect(handed.map((h) => [h.type, h.orderId])).toEqual([['FulfilmentOrderCompletionRequested', 'o1']]);
    const issued = (await store.readStream(sagaStreamId('Fulfilment', 'o1'))).filter((e) => e.type === 'SagaCommandIssued');
    const completion = issued.find((e) => (e.data as { command: { to: string } }).command.to === 'orders');
    expect(handed[0]?.causationId).toBe((completion?.data as { commandId: string } | undefined)?.commandId);
    // The command is still in the log for the relay: the broker's copy is the backstop after a crash.
    expect(issued.map((e) => (e.data as { command: { to: string } }).command.to)).toEqual(['payments', 'inventory', 'shipping', 'orders']);
  });

  test('a local hand-off that fails is reported, and the saga goes on (the relay still delivers the command)', async () => {
    const errors: unknown[] = [];
    const { fulfilment } = await setUp({
      onError: (error) => errors.push(error),
      localCommands: {
        to: 'orders',
        handle: async () => {
          throw new Error('orders store unavailable');
        },
      },
    });
    await fulfilment.deliver(placed, { messageId: 'm-1', correlationId: 'o1' });
    for (const { message, id } of replies) await fulfilment.deliver(message, { messageId: id, correlationId: 'o1' });
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('orders store unavailable');
    expect((await fulfilment.operator.status('o1')).state).toMatchObject({ status: 'Running', step: 'completion' });
  });
});
