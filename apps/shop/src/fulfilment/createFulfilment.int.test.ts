/**
 * The fulfilment saga's runner on the real PostgreSQL, where it reads only the saga's timer entries
 * from the log (filtered in the database): a timer whose gathered write was lost (a crash of the reply
 * path) is written again from the log, fires, and resends the command; the other events of the log
 * are not the runner's to handle.
 */
import { createManualClock, sagaStreamId } from '@eventfold/core';
import type { PostgresEventStore } from '@eventfold/postgres';
import { afterEach, describe, expect, test } from 'vitest';
import type { IntegrationMessage } from '../contracts/integrationEvents.js';
import { POSTGRES, scratchPostgresStore } from '../testing/postgresScratch.js';
import { createFulfilment } from './createFulfilment.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const freshStore = (): Promise<PostgresEventStore> => scratchPostgresStore('shop_saga', cleanups);

const placed = (orderId: string): IntegrationMessage => ({
  type: 'OrderPlaced',
  data: {
    orderId,
    customerId: 'ada',
    lines: [{ sku: 'TEA-001', quantity: 1, unitPrice: 1250 }],
    total: 1250,
    shippingAddress: { name: 'Ada', street: '1 Main St', city: 'London', postcode: 'N1', country: 'GB' },
    paymentToken: 'tok_visa',
  },
});

describe('the fulfilment runner on PostgreSQL', () => {
  test('a timer lost with the reply path is written again from the log, fires and resends the command', async () => {
    const store = await freshStore();
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const config = { store: { kind: 'postgres' as const, url: POSTGRES, schema: store.schema } };
    // The reply path of a process that dies before its gathered timer writes reach the database.
    const crashed = await createFulfilment({ config, store, clock });
    await crashed.deliver(placed('o1'), { messageId: 'm-1', correlationId: 'o1' });
    await crashed.stop();
    // The timer row is lost (as if the process died before its gathered write).
    await store.pool.query(`DELETE FROM ${store.schema}.timers`);
    expect(await crashed.timers.pending('saga:Fulfilment')).toBe(0);
    // Other contexts' events in the log, which the runner must not act on.
    await store.appendToStream('order-o2', [{ type: 'OrderPlaced', data: placed('o2').data }]);

    const restarted = await createFulfilment({ config, store, clock });
    cleanups.push(() => restarted.stop());
    // The runner reads a timer entry only once it is as old as the reply path's hold (2 s): until
    // then the reply path may still settle it unwritten.
    await restarted.runner.drain();
    expect(await restarted.timers.pending('saga:Fulfilment')).toBe(0);
    clock.advance(2_000);
    await restarted.runner.drain();
    // Written again from the SagaTimerScheduled entry; nothing started for o2.
    expect(await restarted.timers.pending('saga:Fulfilment')).toBe(1);
    expect(await store.readStream(sagaStreamId('Fulfilment', 'o2'))).toEqual([]);

    clock.advance(28_000);
    await restarted.runner.runOnce(); // the timeout: a retry scheduled
    clock.advance(1_500);
    await restarted.runner.runOnce(); // the retry: the command again
    const commands = (await store.readStream(sagaStreamId('Fulfilment', 'o1')))
      .filter((e) => e.type === 'SagaCommandIssued')
      .map((e) => (e.data as { command: { type: string } }).command.type);
    expect(commands).toEqual(['FulfilmentPaymentRequested', 'FulfilmentPaymentRequested']);
  });
});
