/**
 * Deterministic simulation of sagas. One seed drives a scheduler that, step by step, feeds log
 * events to the saga engine, relays saga commands over a faulty network to the services, fires
 * timers, moves the clock and crashes the runner process — duplicating, reordering and delaying
 * messages on the way. Everything runs in memory on a manual clock, so a seed takes milliseconds and
 * a failing seed replays exactly: same seed, same schedule, same digest.
 */
import { createManualClock, type ManualClock } from '../../clock.js';
import type { GlobalPosition, RecordedEvent } from '../../envelope.js';
import type { EventStore } from '../../eventStore.js';
import { createInMemoryEventStore } from '../../inMemoryEventStore.js';
import type { DeliveredMessage } from '../../messaging/message.js';
import type { SagaDefinition } from '../../sagas/defineSaga.js';
import { type DeliveredSagaCommand, readSagaCommand, sagaCommandMessage } from '../../sagas/sagaCommandRoute.js';
import { createSagaEngine, toSagaLogEvents } from '../../sagas/sagaEngine.js';
import { sagaStreamPrefix } from '../../sagas/sagaLog.js';
import { foldSaga, type SagaState } from '../../sagas/sagaState.js';
import { createInMemoryTimerStore } from '../../sagas/timerStore.js';
import { seededRandom } from '../fixtures/childProcess.js';

export interface SimulationFaults {
  /** Chance that a delivered message (command or log event) is delivered again later. Default 0.05. */
  duplicate?: number;
  /** Chance that a delivery takes a random waiting message instead of the oldest. Default 0.05. */
  reorder?: number;
  /** Chance, per scheduler step, that the runner process crashes. Default 0.01. */
  crash?: number;
  /** Chance that a command is held back by a long delay. Default 0.05. */
  delay?: number;
  /** Longest such delay, in ms. Default 90,000. */
  maxDelayMs?: number;
}

export interface SimulationContext {
  seed: number;
  store: EventStore;
  clock: ManualClock;
  /** The seed's random source: draw from it (and only it) to keep the run reproducible. */
  random: () => number;
}

export interface SimulationOptions {
  seed: number;
  // biome-ignore lint/suspicious/noExplicitAny: the harness runs any saga.
  saga: SagaDefinition<any, any>;
  /** Sets up the world (stock, accounts) and appends the events that start the sagas. */
  setup(context: SimulationContext): Promise<void>;
  /** The services: handle one delivered saga command (may be a duplicate). */
  handleCommand(command: DeliveredSagaCommand, context: SimulationContext): Promise<void>;
  /** Returns the invariants the end state breaks (empty: all hold). Sagas are the final state of every instance. */
  invariants(context: SimulationContext & { sagas: Map<string, SagaState>; events: RecordedEvent[] }): string[] | Promise<string[]>;
  faults?: SimulationFaults;
  /** Scheduler steps before the run counts as stuck. Default 20,000. */
  maxSteps?: number;
}

export interface SimulationResult {
  seed: number;
  steps: number;
  faults: { duplicated: number; reordered: number; delayed: number; crashes: number };
  /** Broken invariants; "stuck" when the run did not quiesce. */
  violations: string[];
  /** Types and streams of the whole log in order, joined: equal digests mean equal runs. */
  digest: string;
  sagas: Map<string, SagaState>;
}

interface InFlight {
  message: DeliveredMessage;
  deliverAt: number;
}

class SimulatedCrash extends Error {}

const CHECKPOINT = 'simulated-runner';
const RELAY_CHECKPOINT = 'simulated-relay';

/**
 * @example
 * const result = await simulateSagas({ seed: 42, saga, setup, handleCommand, invariants });
 * expect(result.violations, `replay with seed ${result.seed}`).toEqual([]);
 */
export async function simulateSagas(options: SimulationOptions): Promise<SimulationResult> {
  const f = { duplicate: 0.05, reorder: 0.05, crash: 0.01, delay: 0.05, maxDelayMs: 90_000, ...options.faults };
  const random = seededRandom(options.seed);
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = createInMemoryEventStore({ clock });
  const timers = createInMemoryTimerStore(); // a database table: survives crashes
  // The process may also die right after appending to a saga log, before writing that append's timers:
  // then only the runner's second look at the log (timers on SagaCommandIssued and SagaTimerScheduled entries) schedules them.
  const crashingTimers = {
    ...timers,
    async schedule(list: Parameters<typeof timers.schedule>[0]) {
      if (random() < f.crash) throw new SimulatedCrash();
      return timers.schedule(list);
    },
  };
  const engine = createSagaEngine({ store, saga: options.saga, timers: crashingTimers, clock, random });
  const context: SimulationContext = { seed: options.seed, store, clock, random };
  const faults = { duplicated: 0, reordered: 0, delayed: 0, crashes: 0 };
  const network: InFlight[] = []; // the broker: survives crashes
  await options.setup(context);

  // Volatile state of the runner process (saga runner + relay), lost on a crash.
  let feed: RecordedEvent[] = [];
  let fed: GlobalPosition = 0n;
  let handled = new Set<GlobalPosition>();
  let relayed: GlobalPosition = 0n;
  const restart = async () => {
    fed = (await store.checkpoints.load(CHECKPOINT)) ?? 0n;
    relayed = (await store.checkpoints.load(RELAY_CHECKPOINT)) ?? 0n;
    feed = [];
    handled = new Set();
  };
  await restart();

  const pick = <T>(list: T[]): T => {
    let index = 0;
    if (list.length > 1 && random() < f.reorder) {
      index = 1 + Math.floor(random() * (list.length - 1));
      faults.reordered++;
    }
    const [item] = list.splice(index, 1);
    if (random() < f.duplicate) {
      list.splice(Math.floor(random() * (list.length + 1)), 0, item as T);
      faults.duplicated++;
    }
    return item as T;
  };

  /** Moves the runner checkpoint over the contiguous prefix of handled events (what a real runner would have committed). */
  const checkpoint = async () => {
    const current = (await store.checkpoints.load(CHECKPOINT)) ?? 0n;
    let next = current;
    while (handled.has(next + 1n)) next += 1n;
    if (next !== current) await store.checkpoints.store(CHECKPOINT, next, { expected: current === 0n ? null : current });
  };

  const actions: (() => Promise<boolean>)[] = [
    // The runner reads more of the log.
    async () => {
      const events = await store.readAll({ after: fed, maxCount: 1 + Math.floor(random() * 8) });
      if (events.length === 0) return false;
      feed.push(...events);
      fed = events[events.length - 1]?.globalPosition ?? fed;
      return true;
    },
    // The runner handles one log event (maybe not the oldest, maybe again later).
    async () => {
      if (feed.length === 0) return false;
      const event = pick(feed);
      await engine.handleLogEvent(event);
      handled.add(event.globalPosition);
      if (random() < 0.3) await checkpoint();
      return true;
    },
    // The relay publishes the next saga commands to the network.
    async () => {
      const events = await store.readAll({ after: relayed, maxCount: 1 + Math.floor(random() * 8) });
      if (events.length === 0) return false;
      for (const event of events) {
        if (event.type !== 'SagaCommandIssued') continue;
        let deliverAt = clock.now().getTime() + Math.floor(random() * 500);
        if (random() < f.delay) {
          deliverAt += Math.floor(random() * f.maxDelayMs);
          faults.delayed++;
        }
        network.push({ message: { ...sagaCommandMessage(event), destination: 'simulated', attempt: 1 }, deliverAt });
      }
      relayed = events[events.length - 1]?.globalPosition ?? relayed;
      if (random() < 0.5) await store.checkpoints.store(RELAY_CHECKPOINT, relayed);
      return true;
    },
    // The network delivers one due command to its service.
    async () => {
      const now = clock.now().getTime();
      const due = network.filter((m) => m.deliverAt <= now);
      if (due.length === 0) return false;
      const chosen = pick(due);
      network.splice(network.indexOf(chosen), 1);
      if (due.includes(chosen)) network.push({ ...chosen }); // pick() put a duplicate back
      await options.handleCommand(readSagaCommand(chosen.message), context);
      return true;
    },
    // The timer pump fires the due timers (and may crash before marking one fired).
    async () => {
      const due = await timers.due(engine.timerOwner, clock.now(), 10);
      if (due.length === 0) return false;
      for (const timer of due) {
        await engine.fire(timer);
        if (random() < f.crash) {
          faults.crashes++;
          await restart();
          return true;
        }
        await timers.markFired([timer.id]);
      }
      return true;
    },
  ];

  const maxSteps = options.maxSteps ?? 20_000;
  let steps = 0;
  let quiet = false;
  while (steps < maxSteps) {
    steps++;
    if (random() < f.crash) {
      faults.crashes++;
      await restart();
      continue;
    }
    // Try the actions from a random starting point; the first that has work does it.
    const first = Math.floor(random() * actions.length);
    let worked = false;
    try {
      for (let i = 0; i < actions.length && !worked; i++) worked = await (actions[(first + i) % actions.length] as () => Promise<boolean>)();
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      faults.crashes++;
      await restart();
      continue;
    }
    if (worked) continue;
    // Nothing to do now: jump to the next delivery or timer, or stop when there is none.
    const nextMessage = Math.min(...network.map((m) => m.deliverAt));
    const nextTimer = Math.min(...(await timers.due(engine.timerOwner, new Date(8.64e15), 1_000)).map((t) => t.dueAt.getTime()));
    const next = Math.min(nextMessage, nextTimer);
    if (!Number.isFinite(next)) {
      quiet = true;
      break;
    }
    clock.set(Math.max(next, clock.now().getTime()));
  }

  const events: RecordedEvent[] = [];
  for (let after: GlobalPosition = 0n; ; ) {
    const page = await store.readAll({ after, maxCount: 10_000 });
    events.push(...page);
    if (page.length < 10_000) break;
    after = page[page.length - 1]?.globalPosition ?? after;
  }
  const prefix = sagaStreamPrefix(options.saga.name);
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) if (event.streamId.startsWith(prefix)) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
  const sagas = new Map<string, SagaState>([...byStream].map(([stream, list]) => [stream.slice(prefix.length), foldSaga(toSagaLogEvents(list))]));
  const violations = quiet ? [...(await options.invariants({ ...context, sagas, events }))] : [`stuck: still busy after ${maxSteps} steps`];
  const digest = events.map((e) => `${e.type}@${e.streamId}:${JSON.stringify(e.data)}`).join('|');
  return { seed: options.seed, steps, faults, violations, digest, sagas };
}
