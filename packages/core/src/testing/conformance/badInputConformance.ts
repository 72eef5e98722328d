import { describe, expect, it } from 'vitest';
import { EventfoldError, InvalidInputError, PayloadTooLargeError } from '../../errors.js';
import type { EventStore } from '../../eventStore.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId, placed } from './helpers.js';

async function expectNothingWritten(store: EventStore, streamId: string): Promise<void> {
  expect(await store.streamVersion(streamId)).toBe(0);
  expect(await store.readAll({ maxCount: 10 })).toEqual([]);
}

async function rejection(promise: Promise<unknown>): Promise<EventfoldError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventfoldError);
  return error as EventfoldError;
}

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

const notJson: Array<[string, unknown]> = [
  ['undefined property', { a: undefined }],
  ['NaN', { a: Number.NaN }],
  ['Infinity', [1, Number.POSITIVE_INFINITY]],
  ['BigInt', { a: 10n }],
  ['function', { f: () => 1 }],
  ['symbol', { s: Symbol('x') }],
  ['Date', { at: new Date(0) }],
  ['Map', new Map([[1, 2]])],
  ['circular reference', cycle],
  // biome-ignore lint/suspicious/noSparseArray: a sparse array is the bad input under test
  ['sparse array', [1, , 3]],
  [
    'class instance',
    new (class Money {
      amount = 1;
    })(),
  ],
];

export function badInputConformance(ctx: ConformanceContext): void {
  describe('bad input is rejected whole with a typed error', () => {
    it.each([
      ['empty', ''],
      ['over 255 characters', 'x'.repeat(256)],
      ['not a string', 42],
      ['a lone surrogate', 'order-\ud800'],
    ])('stream id %s', async (_label, streamId) => {
      const store = await ctx.open();
      const error = await rejection(store.appendToStream(streamId as string, [placed(1)]));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.code).toBe('EVENTFOLD_INVALID_INPUT');
      expect(error.message).toMatch(/^streamId: /);
      expect(await store.readAll()).toEqual([]);
    });

    it.each(notJson)('data holding %s, in a batch with valid events', async (label, data) => {
      const store = await ctx.open();
      const s = newStreamId();
      const error = await rejection(store.appendToStream(s, [placed(1), { type: 'OrderNoted', data }, placed(3)]));
      expect(error.code).toBe('EVENTFOLD_INVALID_INPUT');
      expect(error.message, label).toMatch(/^events\[1\]\.data/);
      await expectNothingWritten(store, s);
    });

    it.each([
      ['-1', -1],
      ['1.5', 1.5],
      ['a string', 'latest'],
      ['null', null],
      ['NaN', Number.NaN],
    ])('expected version %s', async (_label, expectedVersion) => {
      const store = await ctx.open();
      const s = newStreamId();
      const error = await rejection(store.appendToStream(s, [placed(1)], { expectedVersion: expectedVersion as never }));
      expect(error.code).toBe('EVENTFOLD_INVALID_INPUT');
      expect(error.message).toMatch(/^expectedVersion: /);
      await expectNothingWritten(store, s);
    });

    it('an event over the default 1 MiB limit, anywhere in the batch', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      const error = await rejection(store.appendToStream(s, [placed(1), { type: 'FileAttached', data: { blob: 'x'.repeat(1024 * 1024) } }]));
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect(error.code).toBe('EVENTFOLD_PAYLOAD_TOO_LARGE');
      expect(error.context).toMatchObject({ path: 'events[1]', limitBytes: 1024 * 1024 });
      await expectNothingWritten(store, s);
      const fits = await store.appendToStream(s, [{ type: 'FileAttached', data: { blob: 'x'.repeat(1024 * 1024 - 200) } }]);
      expect(fits.nextExpectedVersion).toBe(1);
    });

    it('a configured size limit', async () => {
      const store = await ctx.open({ maxEventBytes: 1000 });
      const s = newStreamId();
      const error = await rejection(store.appendToStream(s, [{ type: 'NoteAdded', data: 'y'.repeat(1001) }]));
      expect(error.code).toBe('EVENTFOLD_PAYLOAD_TOO_LARGE');
      await expectNothingWritten(store, s);
    });

    it.each([
      ['an empty batch', []],
      ['a missing type', [{ data: {} }]],
      ['a type that is not a string', [{ type: 7, data: {} }]],
      ['missing data', [{ type: 'OrderPlaced' }]],
      ['schemaVersion 0', [{ type: 'OrderPlaced', data: {}, schemaVersion: 0 }]],
      ['an eventId that is not a UUID', [{ type: 'OrderPlaced', data: {}, eventId: 'abc' }]],
      [
        'the same eventId twice',
        [placed(1, { eventId: '018f0000-0000-7000-8000-0000000000bb' }), placed(2, { eventId: '018f0000-0000-7000-8000-0000000000bb' })],
      ],
      ['a header that is not a string', [{ type: 'OrderPlaced', data: {}, headers: { n: 1 } }]],
      ['not an array', { type: 'OrderPlaced', data: {} }],
    ])('%s', async (_label, events) => {
      const store = await ctx.open();
      const s = newStreamId();
      const error = await rejection(store.appendToStream(s, events as never));
      expect(error.code).toBe('EVENTFOLD_INVALID_INPUT');
      await expectNothingWritten(store, s);
    });

    it('invalid read options', async () => {
      const store = await ctx.open();
      await expect(store.readStream('s', { maxCount: 0 })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.readStream('s', { direction: 'sideways' as never })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.readStream('s', { asOf: new Date('nope') })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.readAll({ after: -1n })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.readAll({ after: 5 as never })).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.checkpoints.store('', 1n)).rejects.toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT' });
      await expect(store.snapshots.save({ streamId: 's', streamVersion: 1, stateVersion: 1, state: { d: new Date() } as never })).rejects.toMatchObject({
        code: 'EVENTFOLD_INVALID_INPUT',
      });
    });
  });
}
