/**
 * given/when/then for sagas, without a store: given the events and replies a saga has seen (and
 * time that passed), when one more arrives or the clock moves, then these commands, compensations
 * or this status. The clock is the fixture's own, so timeouts and retry backoff are tested exactly.
 */
import { expect } from 'vitest';
import { decideSaga, type SagaInput } from '../../sagas/decideSaga.js';
import type { SagaDefinition, SagaInputEvent } from '../../sagas/defineSaga.js';
import { deterministicId } from '../../sagas/deterministicId.js';
import { timersOf } from '../../sagas/sagaEngine.js';
import type { SagaCommandIssuedData, SagaLogEvent, SagaPhase, SagaStatus } from '../../sagas/sagaLog.js';
import { sagaStreamId } from '../../sagas/sagaLog.js';
import { evolveSaga, initialSagaState, type SagaState } from '../../sagas/sagaState.js';

/** An event the saga reads, time passing, or an operator request. */
export type SagaFixtureStep = SagaInputEvent | { advance: number } | { operator: 'retry' } | { operator: 'resolve'; resolution: 'Completed' | 'Compensated' };

export interface ExpectedCommand {
  type: string;
  data?: unknown;
  to?: string | null;
}

export interface SagaThen {
  /** Every command sent by the `when` step (actions, compensations, completion), in order. */
  thenCommands(expected: readonly ExpectedCommand[]): SagaThen;
  /** Only the compensation commands sent by the `when` step. */
  thenCompensations(expected: readonly ExpectedCommand[]): SagaThen;
  thenStatus(expected: SagaStatus): SagaThen;
  /** Types of the saga log events the `when` step appended. */
  thenLog(expected: readonly SagaLogEvent['type'][]): SagaThen;
  readonly state: SagaState;
  readonly log: readonly SagaLogEvent[];
}

export interface SagaGiven {
  when(step: SagaFixtureStep): SagaThen;
  readonly state: SagaState;
}

export interface SagaFixtureOptions {
  /** Fixture clock start. Default 2026-01-01T00:00:00Z. */
  start?: Date | number;
  /** Jitter source for retry delays. Default 0.5 (no jitter). */
  random?: () => number;
}

interface Run {
  state: SagaState;
  now: number;
  timers: { id: string; dueAt: number }[];
  seq: number;
}

/**
 * @example
 * sagaFixture(orderFulfilment)
 *   .given([placed, { type: 'PaymentCharged', data: { orderId: 'o1', amount: 10 } }])
 *   .when({ type: 'StockReservationRejected', data: { orderId: 'o1', sku: 'book', reason: 'out of stock' } })
 *   .thenCompensations([{ type: 'RefundPayment', data: { orderId: 'o1' } }]).thenStatus('Compensating');
 */
// biome-ignore lint/suspicious/noExplicitAny: the fixture drives any saga definition.
export function sagaFixture(definition: SagaDefinition<any, any>, options: SagaFixtureOptions = {}) {
  const start = options.start === undefined ? Date.UTC(2026, 0, 1) : typeof options.start === 'number' ? options.start : options.start.getTime();
  const random = options.random ?? (() => 0.5);
  const saga = definition as unknown as SagaDefinition<never, never>;

  const apply = (run: Run, input: SagaInput, sagaId: string): SagaLogEvent[] => {
    const events = decideSaga(saga, run.state, input, { streamId: sagaStreamId(definition.name, sagaId), now: new Date(run.now), random });
    for (const event of events) {
      run.state = evolveSaga(run.state, { ...event, causationId: input.id });
      for (const timer of timersOf(definition.name, [event])) run.timers.push({ id: timer.id, dueAt: timer.dueAt.getTime() });
    }
    return events;
  };

  const step = (run: Run, s: SagaFixtureStep): SagaLogEvent[] => {
    const id = deterministicId('saga-fixture', String(run.seq++));
    if ('advance' in s) {
      const target = run.now + s.advance;
      const out: SagaLogEvent[] = [];
      for (;;) {
        const due = run.timers.filter((t) => t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt)[0];
        if (due === undefined) break;
        run.timers = run.timers.filter((t) => t !== due);
        run.now = Math.max(run.now, due.dueAt);
        out.push(...apply(run, { kind: 'timer', id: due.id }, run.state.sagaId ?? ''));
      }
      run.now = target;
      return out;
    }
    if ('operator' in s) {
      const input: SagaInput = s.operator === 'retry' ? { kind: 'retry', id } : { kind: 'resolve', id, resolution: s.resolution };
      return apply(run, input, run.state.sagaId ?? '');
    }
    if (definition.startTypes.has(s.type)) {
      const started = (definition.startedBy as Record<string, (e: SagaInputEvent) => { sagaId: string } | undefined>)[s.type]?.(s);
      return apply(run, { kind: 'start', id, event: s }, started?.sagaId ?? '');
    }
    return apply(run, { kind: 'reply', id, event: s }, run.state.sagaId ?? '');
  };

  const commandsOf = (log: readonly SagaLogEvent[], phase?: SagaPhase) =>
    log
      .filter((e): e is Extract<SagaLogEvent, { type: 'SagaCommandIssued' }> => e.type === 'SagaCommandIssued')
      .map((e) => e.data as SagaCommandIssuedData)
      .filter((d) => phase === undefined || d.phase === phase)
      .map((d) => d.command);

  const match = (actual: readonly { type: string; data: unknown; to: string | null }[], expected: readonly ExpectedCommand[]) => {
    expect(
      actual.map((c, i) => ({
        type: c.type,
        ...('data' in (expected[i] ?? {}) ? { data: c.data } : {}),
        ...('to' in (expected[i] ?? {}) ? { to: c.to } : {}),
      })),
    ).toEqual(expected.map((e) => ({ ...e })));
  };

  return {
    given(steps: readonly SagaFixtureStep[] = []): SagaGiven {
      const run: Run = { state: initialSagaState, now: start, timers: [], seq: 0 };
      for (const s of steps) step(run, s);
      return {
        get state() {
          return run.state;
        },
        when(s) {
          const log = step(run, s);
          const then: SagaThen = {
            thenCommands(expected) {
              match(commandsOf(log), expected);
              return then;
            },
            thenCompensations(expected) {
              match(commandsOf(log, 'compensation'), expected);
              return then;
            },
            thenStatus(expected) {
              expect(run.state.status).toBe(expected);
              return then;
            },
            thenLog(expected) {
              expect(log.map((e) => e.type)).toEqual(expected);
              return then;
            },
            state: run.state,
            log,
          };
          return then;
        },
      };
    },
  };
}
