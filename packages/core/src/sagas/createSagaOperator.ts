/**
 * The operator API: look at a saga, and move one that needs attention — retry its failing
 * compensation with a fresh budget, or resolve it by hand after fixing things outside. Both are
 * appended to the saga log like any other input, so the history shows who did what and when.
 */
import { type Clock, systemClock } from '../clock.js';
import { START } from '../envelope.js';
import type { EventStore } from '../eventStore.js';
import { uuidv7 } from '../uuidv7.js';
import type { SagaDefinition } from './defineSaga.js';
import { createSagaEngine, toSagaLogEvents } from './sagaEngine.js';
import { SagaNotFoundError } from './sagaErrors.js';
import { type SagaAttentionRequestedData, type SagaLogEvent, sagaStreamPrefix } from './sagaLog.js';
import { foldSaga, type SagaState } from './sagaState.js';
import type { TimerStore } from './timerStore.js';

export interface SagaOperatorOptions {
  store: Pick<EventStore, 'readAll' | 'readStream' | 'appendToStream'>;
  // biome-ignore lint/suspicious/noExplicitAny: the operator works on any saga definition.
  saga: SagaDefinition<any, any>;
  timers: TimerStore;
  clock?: Clock;
  random?: () => number;
}

export interface SagaInstanceStatus {
  sagaId: string;
  state: SagaState;
  /** The whole saga log, oldest first. */
  history: { type: SagaLogEvent['type']; data: unknown; occurredAt: Date; causationId: string | undefined }[];
}

export interface SagaOperator {
  status(sagaId: string): Promise<SagaInstanceStatus>;
  /** Re-issues the failing step phase with a fresh retry budget. SagaStateError unless the saga NeedsAttention. */
  retry(sagaId: string, options?: { note?: string }): Promise<SagaState>;
  /** Ends the saga by hand after the operator fixed things outside. SagaStateError unless the saga NeedsAttention. */
  resolve(sagaId: string, options: { resolution: 'Completed' | 'Compensated'; note?: string }): Promise<SagaState>;
  /** Sagas waiting for a human, by scanning the log (an admin query: O(log size)). */
  needingAttention(): Promise<SagaAttentionRequestedData[]>;
}

/**
 * @example
 * const operator = createSagaOperator({ store, saga: orderFulfilment, timers });
 * for (const stuck of await operator.needingAttention()) await operator.retry(stuck.sagaId, { note: 'refund API back up' });
 */
export function createSagaOperator(options: SagaOperatorOptions): SagaOperator {
  const { store, saga } = options;
  const engine = createSagaEngine({ store, saga, timers: options.timers, clock: options.clock ?? systemClock, random: options.random ?? Math.random });
  const existing = async (sagaId: string) => {
    const loaded = await engine.load(sagaId);
    if (loaded.events.length === 0) throw new SagaNotFoundError(saga.name, sagaId);
    return loaded;
  };
  return {
    async status(sagaId) {
      const { state, events } = await existing(sagaId);
      return {
        sagaId,
        state,
        history: events.map((e) => ({ type: e.type as SagaLogEvent['type'], data: e.data, occurredAt: e.occurredAt, causationId: e.causationId })),
      };
    },
    async retry(sagaId, retryOptions = {}) {
      await existing(sagaId);
      return (await engine.apply(sagaId, { kind: 'retry', id: uuidv7(), note: retryOptions.note ?? '' })).state;
    },
    async resolve(sagaId, resolveOptions) {
      await existing(sagaId);
      return (await engine.apply(sagaId, { kind: 'resolve', id: uuidv7(), resolution: resolveOptions.resolution, note: resolveOptions.note ?? '' })).state;
    },
    async needingAttention() {
      const prefix = sagaStreamPrefix(saga.name);
      const flagged = new Map<string, SagaAttentionRequestedData>();
      let after = START;
      for (;;) {
        const batch = await store.readAll({ after, maxCount: 1_000 });
        for (const event of batch) {
          if (!event.streamId.startsWith(prefix)) continue;
          const sagaId = event.streamId.slice(prefix.length);
          if (event.type === 'SagaAttentionRequested') flagged.set(sagaId, event.data as unknown as SagaAttentionRequestedData);
          else if (event.type === 'SagaManuallyRetried' || event.type === 'SagaManuallyResolved') flagged.delete(sagaId);
        }
        if (batch.length < 1_000) break;
        after = batch[batch.length - 1]?.globalPosition ?? after;
      }
      // The log says who was flagged; the saga's own state confirms it still is.
      const still: SagaAttentionRequestedData[] = [];
      for (const [sagaId, data] of flagged) {
        const { events } = await engine.load(sagaId);
        if (foldSaga(toSagaLogEvents(events)).status === 'NeedsAttention') still.push(data);
      }
      return still;
    },
  };
}
