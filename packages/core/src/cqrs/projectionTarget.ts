/**
 * Where a projection runner writes: the read model's storage together with the checkpoint. A
 * target applies a batch and moves the checkpoint in ONE transaction, so after a crash either both
 * happened or neither did — the source of exactly-once effects.
 */
import { CheckpointConflictError } from '../checkpointConflictError.js';
import type { GlobalPosition } from '../envelope.js';
import type { CheckpointStore } from '../eventStore.js';

export interface ProjectionTarget<TContext> {
  loadCheckpoint(name: string): Promise<GlobalPosition | undefined>;
  /**
   * In one transaction: verify the checkpoint is still `expected` (null = none), run `apply` with
   * the read model's context, store `next`. Throws CheckpointConflictError when another runner moved it.
   */
  applyBatch(name: string, expected: GlobalPosition | null, next: GlobalPosition, apply: (context: TContext) => void | Promise<void>): Promise<void>;
  /** In one transaction: empty the read model (`reset`) and delete the checkpoint. */
  reset(name: string, reset: (context: TContext) => void | Promise<void>): Promise<void>;
  /** Runs the projection's idempotent setup (tables). */
  init(init: (context: TContext) => void | Promise<void>): Promise<void>;
  /** Events after `position`, for lag and rebuild progress; omit when the store cannot count cheaply. */
  countEventsAfter?(position: GlobalPosition): Promise<number>;
}

/**
 * A target for read models kept in process memory, checkpointed in any CheckpointStore. Apply and
 * checkpoint are not one transaction here (memory is lost on a crash anyway): for tests and demos.
 */
export function createMemoryProjectionTarget<TContext>(context: TContext, checkpoints: CheckpointStore): ProjectionTarget<TContext> {
  return {
    loadCheckpoint: (name) => checkpoints.load(name),
    async applyBatch(name, expected, next, apply) {
      const current = (await checkpoints.load(name)) ?? null;
      if (current !== expected) throw new CheckpointConflictError(name, expected, current);
      await apply(context);
      await checkpoints.store(name, next, { expected });
    },
    async reset(name, reset) {
      await reset(context);
      await checkpoints.delete(name);
    },
    async init(init) {
      await init(context);
    },
  };
}
