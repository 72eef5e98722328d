import { describe, expect, test } from 'vitest';
import { createProjectionRunner } from '../cqrs/createProjectionRunner.js';
import { defineProjection } from '../cqrs/defineProjection.js';
import { createMemoryProjectionTarget } from '../cqrs/projectionTarget.js';
import type { RecordedEvent } from '../envelope.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createRepository } from './createRepository.js';
import { defineDecider } from './decider.js';
import { defineUpcasters } from './defineUpcasters.js';
import { withUpcasting } from './withUpcasting.js';

// v1 { amount: "12.50" } (a string of euros) → v2 { amount: 1250 } (cents) → v3 { amount: 1250, currency: 'EUR' }
const upcasters = defineUpcasters([
  { type: 'WalletFunded', fromVersion: 2, upcast: (data) => ({ ...(data as object), currency: 'EUR' }) },
  { type: 'WalletFunded', fromVersion: 1, upcast: (data) => ({ amount: Math.round(Number((data as { amount: string }).amount) * 100) }) },
]);

type Funded = { type: 'WalletFunded'; data: { amount: number; currency: string } };
const wallet = defineDecider<{ cents: number; currencies: string[] }, { type: 'FundWallet'; data: { amount: number } }, Funded>({
  name: 'Wallet',
  eventTypes: ['WalletFunded'],
  initialState: () => ({ cents: 0, currencies: [] }),
  decide: (command) => ({ type: 'WalletFunded', data: { amount: command.data.amount, currency: 'EUR' } }),
  evolve: (state, event) => ({ cents: state.cents + event.data.amount, currencies: [...state.currencies, event.data.currency] }),
});

async function storeWithV1Events() {
  const store = createInMemoryEventStore();
  await store.appendToStream('wallet-w1', [
    { type: 'WalletFunded', schemaVersion: 1, data: { amount: '12.50' } },
    { type: 'WalletFunded', schemaVersion: 2, data: { amount: 100 } },
  ]);
  return store;
}

describe('upcasting', () => {
  test('the registry knows the current version of each type', () => {
    expect(upcasters.currentVersion('WalletFunded')).toBe(3);
    expect(upcasters.currentVersion('SomethingElse')).toBe(1);
  });

  test('events stored as v1 are read as v3 by the repository; new events are written as v3', async () => {
    const store = await storeWithV1Events();
    const wallets = createRepository({ store, decider: wallet, upcasters });
    expect((await wallets.load('w1')).state).toEqual({ cents: 1350, currencies: ['EUR', 'EUR'] });
    await wallets.handle('w1', { type: 'FundWallet', data: { amount: 1 } });
    const stored = await store.readStream('wallet-w1');
    // Stored rows are never rewritten.
    expect(stored.map((e) => [e.schemaVersion, e.data])).toEqual([
      [1, { amount: '12.50' }],
      [2, { amount: 100 }],
      [3, { amount: 1, currency: 'EUR' }],
    ]);
  });

  test('events stored as v1 are read as v3 by projections and subscriptions', async () => {
    const store = await storeWithV1Events();
    const seen: Record<string, unknown>[] = [];
    const projection = defineProjection<Record<string, unknown>[], RecordedEvent<'WalletFunded', { amount: number; currency: string }>>({
      name: 'funding',
      handlers: { WalletFunded: (event, list) => void list.push({ v: event.schemaVersion, ...event.data }) },
    });
    const runner = createProjectionRunner({ store, projection, target: createMemoryProjectionTarget(seen, store.checkpoints), upcasters });
    await runner.catchUp();
    expect(seen).toEqual([
      { v: 3, amount: 1250, currency: 'EUR' },
      { v: 3, amount: 100, currency: 'EUR' },
    ]);
    const upcasted = withUpcasting(store, upcasters);
    const delivered: unknown[] = [];
    const subscription = upcasted.subscribe({ handler: (e) => void delivered.push(e.data) });
    await subscription.caughtUp;
    await subscription.stop();
    expect(delivered).toEqual([
      { amount: 1250, currency: 'EUR' },
      { amount: 100, currency: 'EUR' },
    ]);
    expect((await upcasted.readAll()).map((e) => e.schemaVersion)).toEqual([3, 3]);
  });

  test('renames are followed and gaps or throwing upcasters are typed errors', async () => {
    const renamed = defineUpcasters([{ type: 'CartItemPut', fromVersion: 1, renameTo: 'CartItemAdded', upcast: (d) => d }]);
    const store = createInMemoryEventStore();
    await store.appendToStream('cart-1', [{ type: 'CartItemPut', data: { sku: 'a' } }]);
    expect((await withUpcasting(store, renamed).readStream('cart-1'))[0]).toMatchObject({ type: 'CartItemAdded', schemaVersion: 2 });
    expect(() =>
      defineUpcasters([
        { type: 'A', fromVersion: 1, upcast: (d) => d },
        { type: 'A', fromVersion: 3, upcast: (d) => d },
      ]),
    ).toThrow(/no upcaster from v2/);
    const throwing = defineUpcasters([
      {
        type: 'CartItemPut',
        fromVersion: 1,
        upcast: () => {
          throw new Error('boom');
        },
      },
    ]);
    await expect(withUpcasting(store, throwing).readStream('cart-1')).rejects.toMatchObject({ code: 'EVENTFOLD_UPCAST_FAILED' });
  });
});
