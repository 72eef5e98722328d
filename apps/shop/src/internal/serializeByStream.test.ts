import { CommandRejectedError, createInMemoryEventStore, createRepository, defineDecider, type EventStore, runInMessageContext } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { serializeByStream } from './serializeByStream.js';

type Taken = { type: 'UnitsTaken'; data: { units: number } };
type Take = { type: 'TakeUnits'; data: { units: number } };
/** A stock of 10 units: a take beyond what is left is refused, so decisions depend on the ones before. */
const shelf = defineDecider<{ left: number }, Take, Taken>({
  name: 'Shelf',
  eventTypes: ['UnitsTaken'],
  initialState: () => ({ left: 10 }),
  decide(command, state) {
    if (command.data.units > state.left) throw new CommandRejectedError('NotEnough', `Only ${state.left} left.`, { left: state.left });
    return { type: 'UnitsTaken', data: { units: command.data.units } };
  },
  evolve: (state, event) => ({ left: state.left - event.data.units }),
});
const take = (units: number): Take => ({ type: 'TakeUnits', data: { units } });

function countingStore() {
  const inner = createInMemoryEventStore();
  const counts = { appends: 0 };
  const store: EventStore = Object.setPrototypeOf(
    {
      async appendToStream(...args: Parameters<EventStore['appendToStream']>) {
        counts.appends++;
        return inner.appendToStream(...args);
      },
    },
    inner,
  );
  return { store, inner, counts };
}

describe('serializeByStream', () => {
  it('hands commands that queued behind a running one to the repository together: one append, each its own result', async () => {
    const { store, inner, counts } = countingStore();
    const shelves = serializeByStream(createRepository({ store, decider: shelf, cacheSize: 10 }));
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((units) => shelves.handle('s1', take(units))));
    // The first runs alone; 2, 3 and 4 fit in what is left (9, 7, 4); 5 is refused (0 left).
    expect(counts.appends).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.nextExpectedVersion : (r.reason as { code: string }).code))).toEqual([
      1,
      2,
      3,
      4,
      'EVENTFOLD_COMMAND_REJECTED',
    ]);
    expect((await inner.readStream('shelf-s1')).map((e) => (e.data as { units: number }).units)).toEqual([1, 2, 3, 4]);
  });

  it('runs a command with options of its own alone, in its place in the queue', async () => {
    const { store, inner, counts } = countingStore();
    const shelves = serializeByStream(createRepository({ store, decider: shelf }));
    await Promise.all([
      shelves.handle('s1', take(1)),
      shelves.handle('s1', take(2)),
      shelves.handle('s1', take(3), { expectedVersion: 2 }),
      shelves.handle('s1', take(4)),
    ]);
    // 1 alone, then 2 (the batch stops at the command with an expected version), 3 alone, 4.
    expect(counts.appends).toBe(4);
    expect((await inner.readStream('shelf-s1')).map((e) => e.streamPosition)).toEqual([1, 2, 3, 4]);
  });

  it("gives each command's events the ids of the message its caller was handling", async () => {
    const { store, inner } = countingStore();
    const shelves = serializeByStream(createRepository({ store, decider: shelf }));
    const within = (messageId: string, units: number) =>
      runInMessageContext({ messageId, correlationId: `c-${messageId}`, causationId: messageId, headers: {} }, () => shelves.handle('s1', take(units)));
    await Promise.all([within('m1', 1), within('m2', 1), within('m3', 1)]);
    expect((await inner.readStream('shelf-s1')).map((e) => [e.causationId, e.correlationId])).toEqual([
      ['m1', 'c-m1'],
      ['m2', 'c-m2'],
      ['m3', 'c-m3'],
    ]);
  });
});
