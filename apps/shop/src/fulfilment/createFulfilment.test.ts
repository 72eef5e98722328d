import { createManualClock, sagaStreamId } from '@eventfold/core';
import { createSqliteEventStore } from '@eventfold/sqlite';
import { afterEach, describe, expect, test } from 'vitest';
import type { IntegrationMessage } from '../contracts/integrationEvents.js';
import { createFulfilment, type Fulfilment } from './createFulfilment.js';

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

async function setUp() {
  const store = createSqliteEventStore({ path: ':memory:' });
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const fulfilment: Fulfilment = await createFulfilment({ config: { store: { kind: 'sqlite', path: ':memory:' } }, store, clock });
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
