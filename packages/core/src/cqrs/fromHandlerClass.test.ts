import { describe, expect, test } from 'vitest';
import type { RecordedEvent } from '../envelope.js';
import { EventHandler, QueryHandler } from '../eventsourcing/decorators.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { projectionFixture } from '../testing/fixtures/projectionFixture.js';
import { connectEventBus } from './connectEventBus.js';
import { createEventBus } from './createEventBus.js';
import { createProjectionRunner } from './createProjectionRunner.js';
import { createQueryBus } from './createQueryBus.js';
import { projectionFromClass, registerEventHandlers, registerQueryHandlers } from './fromHandlerClass.js';
import { currentMessageContext } from './messageContext.js';
import { createMemoryProjectionTarget } from './projectionTarget.js';

type Credited = RecordedEvent<'AccountCredited', { amount: number }>;

class BalancesView {
  readonly balances = new Map<string, number>();

  @EventHandler('AccountCredited')
  credited(event: Credited): void {
    this.balances.set(event.streamId, (this.balances.get(event.streamId) ?? 0) + event.data.amount);
  }

  @EventHandler('AccountDebited')
  debited(event: Credited): void {
    this.balances.set(event.streamId, (this.balances.get(event.streamId) ?? 0) - event.data.amount);
  }

  @QueryHandler('GetBalance')
  balance(query: { type: 'GetBalance'; accountId: string }): number {
    return this.balances.get(`account-${query.accountId}`) ?? 0;
  }
}

describe('decorated read-side classes', () => {
  test('@EventHandler methods form a projection; @QueryHandler methods answer queries', async () => {
    const store = createInMemoryEventStore();
    const view = new BalancesView();
    const runner = createProjectionRunner({
      store,
      projection: projectionFromClass<null>(view, { name: 'balances' }),
      target: createMemoryProjectionTarget(null, store.checkpoints),
    });
    await store.appendToStream('account-a', [
      { type: 'AccountCredited', data: { amount: 10 } },
      { type: 'AccountDebited', data: { amount: 3 } },
    ]);
    await runner.catchUp();
    const queries = createQueryBus();
    registerQueryHandlers(queries, view);
    expect(await queries.execute({ type: 'GetBalance', accountId: 'a' } as { type: string })).toBe(7);
  });

  test('given(events).then(readModel) for a projection', async () => {
    const view = new BalancesView();
    const projection = projectionFromClass<null>(view, { name: 'balances', reset: () => view.balances.clear() });
    await projectionFixture(projection, {
      context: () => {
        view.balances.clear();
        return null;
      },
      read: () => Object.fromEntries(view.balances),
    })
      .given([
        { type: 'AccountCredited', streamId: 'account-a', data: { amount: 5 } },
        { type: 'AccountCredited', streamId: 'account-b', data: { amount: 2 } },
        { type: 'AccountDebited', streamId: 'account-a', data: { amount: 1 } },
      ])
      .then({ 'account-a': 4, 'account-b': 2 });
  });

  test('@EventHandler methods on the event bus, fed durably from the store with a checkpoint', async () => {
    const store = createInMemoryEventStore();
    const bus = createEventBus({ correlation: true });
    const view = new BalancesView();
    registerEventHandlers(bus, view);
    const causes: (string | undefined)[] = [];
    bus.subscribe('*', () => void causes.push(currentMessageContext()?.causationId));
    await store.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 10 }, causationId: 'cmd-1' }]);
    const first = await connectEventBus(store, bus, { name: 'bus', pollIntervalMs: 5 });
    await first.caughtUp;
    await first.stop();
    await store.appendToStream('account-a', [{ type: 'AccountCredited', data: { amount: 1 } }]);
    const second = await connectEventBus(store, bus, { name: 'bus', pollIntervalMs: 5 });
    await second.caughtUp;
    await second.stop();
    // Resumed after its checkpoint: the first event was not delivered twice.
    expect(view.balances.get('account-a')).toBe(11);
    expect(causes).toEqual(['cmd-1', undefined]);
  });

  test('event bus runs every handler and reports failures together', async () => {
    const bus = createEventBus();
    const ran: string[] = [];
    bus.subscribe('X', () => {
      ran.push('1');
      throw new Error('first');
    });
    bus.subscribe('X', () => void ran.push('2'));
    const event = (await (async () => {
      const s = createInMemoryEventStore();
      await s.appendToStream('s', [{ type: 'X', data: {} }]);
      return (await s.readAll())[0];
    })()) as RecordedEvent;
    await expect(bus.publish(event)).rejects.toThrow('first');
    expect(ran).toEqual(['1', '2']);
  });
});
