import { describe, expect, it } from 'vitest';
import { CheckpointConflictError } from '../../checkpointConflictError.js';
import type { ConformanceContext } from '../eventStoreConformance.js';
import { newStreamId } from './helpers.js';

export function storageConformance(ctx: ConformanceContext): void {
  describe('snapshots and checkpoints', () => {
    it('keeps the newest snapshot per stream', async () => {
      const store = await ctx.open();
      const s = newStreamId();
      expect(await store.snapshots.load(s)).toBeUndefined();
      await store.snapshots.save({ streamId: s, streamVersion: 10, stateVersion: 1, state: { balance: 10, owners: ['a'] } });
      await store.snapshots.save({ streamId: s, streamVersion: 20, stateVersion: 2, state: { balance: 20 } });
      await store.snapshots.save({ streamId: s, streamVersion: 15, stateVersion: 2, state: { balance: 15 } });
      const loaded = await store.snapshots.load(s);
      expect(loaded).toMatchObject({ streamId: s, streamVersion: 20, stateVersion: 2, state: { balance: 20 } });
      expect(loaded?.createdAt).toBeInstanceOf(Date);
      await store.snapshots.delete(s);
      expect(await store.snapshots.load(s)).toBeUndefined();
    });

    it('stores checkpoints by name, with compare-and-set', async () => {
      const store = await ctx.open();
      const name = newStreamId('projection');
      expect(await store.checkpoints.load(name)).toBeUndefined();
      await store.checkpoints.store(name, 5n, { expected: null });
      expect(await store.checkpoints.load(name)).toBe(5n);
      await store.checkpoints.store(name, 7n, { expected: 5n });
      const conflict = await store.checkpoints.store(name, 9n, { expected: 5n }).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(CheckpointConflictError);
      expect(conflict).toMatchObject({ code: 'EVENTFOLD_CHECKPOINT_CONFLICT' });
      await expect(store.checkpoints.store(name, 9n, { expected: null })).rejects.toBeInstanceOf(CheckpointConflictError);
      expect(await store.checkpoints.load(name)).toBe(7n);
      const huge = 2n ** 90n + 12345n;
      await store.checkpoints.store(name, huge);
      expect(await store.checkpoints.load(name)).toBe(huge);
      await store.checkpoints.delete(name);
      expect(await store.checkpoints.load(name)).toBeUndefined();
    });

    it('refuses use after close with a typed error', async () => {
      const store = await ctx.open();
      await store.close();
      await expect(store.appendToStream(newStreamId(), [{ type: 'OrderPlaced', data: {} }])).rejects.toMatchObject({ code: 'EVENTFOLD_STORE_CLOSED' });
    });
  });
}
