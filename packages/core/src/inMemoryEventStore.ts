/**
 * The in-memory event store: a product for unit tests and embedded experiments, not a stand-in
 * for an integration test. It keeps the same contract as the durable stores (conformance suite).
 */

import { CheckpointConflictError } from './checkpointConflictError.js';
import { type Clock, systemClock } from './clock.js';
import type { EventToAppend, GlobalPosition, JsonValue, RecordedEvent } from './envelope.js';
import { START } from './envelope.js';
import { ConcurrencyError, DuplicateEventError, EventfoldError } from './errors.js';
import type { AppendOptions, AppendResult, CheckpointStore, EventStore, ReadAllOptions, ReadStreamOptions, Snapshot, SnapshotStore } from './eventStore.js';
import { matchesExpectedVersion } from './expectedVersion.js';
import { assertCheckpointName, assertPosition, assertReadAllOptions, assertReadStreamOptions, assertSnapshot, selectStreamRange } from './inputChecks.js';
import { type AppendLimits, assertStreamId, prepareAppend } from './prepareAppend.js';
import { createCatchUpSubscription, createNotifier, type SubscribeOptions, type Subscription } from './subscription.js';

export interface InMemoryEventStoreOptions extends AppendLimits {
  clock?: Clock;
}

export function createInMemoryEventStore(options: InMemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? systemClock;
  const log: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const byId = new Map<string, RecordedEvent>();
  const snapshots = new Map<string, Snapshot>();
  const checkpoints = new Map<string, GlobalPosition>();
  const notifier = createNotifier();
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new EventfoldError('EVENTFOLD_STORE_CLOSED', 'This event store has been closed; create a new one.');
  };

  const freeze = <T>(value: T): T => {
    if (value !== null && typeof value === 'object') {
      for (const inner of Object.values(value)) freeze(inner);
      Object.freeze(value);
    }
    return value;
  };

  async function appendToStream(streamId: string, events: readonly EventToAppend<string, unknown>[], opts: AppendOptions = {}): Promise<AppendResult> {
    ensureOpen();
    const prepared = prepareAppend(streamId, events, opts.expectedVersion === undefined ? 'any' : opts.expectedVersion, clock, options);
    const existing = prepared.events.filter((e) => byId.has(e.eventId));
    if (existing.length > 0) {
      const stored = existing.map((e) => byId.get(e.eventId) as RecordedEvent);
      if (existing.length === prepared.events.length && stored.every((e) => e.streamId === streamId)) {
        const last = stored.reduce((a, b) => (a.globalPosition > b.globalPosition ? a : b));
        return { streamId, nextExpectedVersion: last.streamPosition, globalPosition: last.globalPosition, alreadyStored: true };
      }
      throw new DuplicateEventError(
        streamId,
        existing.map((e) => e.eventId),
      );
    }
    const stream = streams.get(streamId) ?? [];
    const current = stream.length;
    if (!matchesExpectedVersion(prepared.expectedVersion, current)) {
      throw new ConcurrencyError(streamId, prepared.expectedVersion, current);
    }
    const recorded = prepared.events.map(
      (e, i): RecordedEvent =>
        freeze({
          eventId: e.eventId,
          type: e.type,
          schemaVersion: e.schemaVersion,
          data: JSON.parse(e.data) as JsonValue,
          streamId,
          streamPosition: current + i + 1,
          globalPosition: BigInt(log.length + i + 1),
          occurredAt: prepared.occurredAt,
          correlationId: e.correlationId,
          causationId: e.causationId,
          headers: JSON.parse(JSON.stringify(e.headers)) as Record<string, string>,
        }),
    );
    for (const event of recorded) {
      log.push(event);
      stream.push(event);
      byId.set(event.eventId, event);
    }
    streams.set(streamId, stream);
    notifier.notify();
    const last = recorded[recorded.length - 1] as RecordedEvent;
    return { streamId, nextExpectedVersion: last.streamPosition, globalPosition: last.globalPosition, alreadyStored: false };
  }

  async function readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    ensureOpen();
    assertStreamId(streamId);
    assertReadStreamOptions(opts);
    return selectStreamRange(streams.get(streamId) ?? [], opts);
  }

  async function readAll(opts: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    ensureOpen();
    assertReadAllOptions(opts);
    const after = Number(opts.after ?? START);
    return log.slice(after, after + (opts.maxCount ?? 1000));
  }

  const snapshotStore: SnapshotStore = {
    async save(snapshot) {
      ensureOpen();
      assertSnapshot(snapshot);
      const current = snapshots.get(snapshot.streamId);
      if (current && current.streamVersion > snapshot.streamVersion) return;
      snapshots.set(snapshot.streamId, {
        streamId: snapshot.streamId,
        streamVersion: snapshot.streamVersion,
        stateVersion: snapshot.stateVersion,
        state: JSON.parse(JSON.stringify(snapshot.state)) as JsonValue,
        createdAt: clock.now(),
      });
    },
    async load(streamId) {
      ensureOpen();
      const s = snapshots.get(streamId);
      return s && { ...s, state: JSON.parse(JSON.stringify(s.state)) as JsonValue };
    },
    async delete(streamId) {
      ensureOpen();
      snapshots.delete(streamId);
    },
  };

  const checkpointStore: CheckpointStore = {
    async load(name) {
      ensureOpen();
      assertCheckpointName(name);
      return checkpoints.get(name);
    },
    async store(name, position, storeOptions = {}) {
      ensureOpen();
      assertCheckpointName(name);
      assertPosition(position);
      if (storeOptions.expected !== undefined) {
        const current = checkpoints.get(name) ?? null;
        if (current !== storeOptions.expected) throw new CheckpointConflictError(name, storeOptions.expected, current);
      }
      checkpoints.set(name, position);
    },
    async delete(name) {
      ensureOpen();
      checkpoints.delete(name);
    },
  };

  return {
    appendToStream,
    readStream,
    // In memory the full events cost nothing extra: the lean read is the same array.
    readStreamForFold: readStream,
    async streamVersion(streamId) {
      ensureOpen();
      assertStreamId(streamId);
      return streams.get(streamId)?.length ?? 0;
    },
    readAll,
    async headPosition() {
      ensureOpen();
      return BigInt(log.length);
    },
    subscribe(subscribeOptions: SubscribeOptions): Subscription {
      ensureOpen();
      return createCatchUpSubscription(readAll, notifier, subscribeOptions);
    },
    snapshots: snapshotStore,
    checkpoints: checkpointStore,
    async close() {
      closed = true;
      notifier.notify();
    },
  };
}
