/**
 * One consumer group of the store transport: a checkpointed subscription over the store's log that
 * feeds the group's messages to its members through a MemoryGroup (per-key order, concurrency,
 * retries). The checkpoint moves to the end of the contiguous prefix of settled messages, so a
 * crash redelivers exactly what was not acknowledged, and nothing is lost.
 */
import type { Clock } from '../../clock.js';
import { type GlobalPosition, START } from '../../envelope.js';
import { EventfoldError, isEventfoldError } from '../../errors.js';
import type { EventStore } from '../../eventStore.js';
import type { Notifier } from '../../subscription.js';
import { createNotifier, waitForAny } from '../../subscription.js';
import type { OutgoingMessage } from '../message.js';
import type { Sleep } from '../timers.js';
import { type MemberSettings, MemoryGroup } from './memoryGroup.js';
import { destinationPrefix, eventToStoredMessage } from './storeMessageCodec.js';

const RETRY_MS = 1_000;

interface Tracked {
  readonly position: GlobalPosition;
  done: boolean;
}

export interface StoreGroupRunnerOptions {
  store: Pick<EventStore, 'readAll' | 'checkpoints'>;
  destination: string;
  group: string;
  checkpoint: string;
  clock: Clock;
  sleep: Sleep;
  /** Woken by publishes in this process. */
  published: Notifier;
  pollIntervalMs: number;
  batchSize: number;
  deadLetterSink: (record: OutgoingMessage) => Promise<void>;
  onError: (error: unknown) => void;
}

export class StoreGroupRunner {
  private readonly group: MemoryGroup;
  private readonly progress = createNotifier();
  private readonly controller = new AbortController();
  private tracked: Tracked[] = [];
  private acked: GlobalPosition = START;
  private stored: GlobalPosition | null = null;
  private exiting = false;
  readonly finished: Promise<void>;

  constructor(private readonly o: StoreGroupRunnerOptions) {
    this.group = new MemoryGroup(o.destination, o.group, {
      clock: o.clock,
      sleep: o.sleep,
      nextDeadLetterId: () => '',
      deadLetterSink: o.deadLetterSink,
      onSettled: (tag) => {
        (tag as Tracked).done = true;
        this.progress.notify();
      },
    });
    this.finished = this.run();
  }

  get memberCount(): number {
    return this.group.memberCount;
  }

  get alive(): boolean {
    return !this.exiting;
  }

  join(settings: MemberSettings) {
    const consumer = this.group.join(settings);
    void consumer.done.then(() => this.progress.notify());
    return consumer;
  }

  /** Stops reading at once (transport closed); members are stopped by their owner. */
  abort(): void {
    this.controller.abort();
    this.progress.notify();
  }

  private get active(): boolean {
    return this.group.memberCount > 0 && !this.controller.signal.aborted;
  }

  private advance(): void {
    let i = 0;
    while (i < this.tracked.length && (this.tracked[i] as Tracked).done) i += 1;
    if (i > 0) {
      this.acked = (this.tracked[i - 1] as Tracked).position;
      this.tracked = this.tracked.slice(i);
    }
  }

  private async commit(): Promise<void> {
    this.advance();
    if (this.acked === (this.stored ?? START)) return;
    try {
      await this.o.store.checkpoints.store(this.o.checkpoint, this.acked, { expected: this.stored });
      this.stored = this.acked;
    } catch (error) {
      if (!isEventfoldError(error, 'EVENTFOLD_CHECKPOINT_CONFLICT')) throw error;
      // Another process consumes this group too: adopt its checkpoint (at-least-once; inboxes dedupe).
      this.stored = (await this.o.store.checkpoints.load(this.o.checkpoint)) ?? null;
    }
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const prefix = destinationPrefix(this.o.destination);
    try {
      // Let the first member join before deciding that nobody listens.
      await Promise.resolve();
      this.stored = (await this.o.store.checkpoints.load(this.o.checkpoint)) ?? null;
      this.acked = this.stored ?? START;
      let readPosition = this.acked;
      while (this.active) {
        try {
          const events = await this.o.store.readAll({ after: readPosition, maxCount: this.o.batchSize });
          for (const event of events) {
            readPosition = event.globalPosition;
            const message = event.streamId.startsWith(prefix) ? eventToStoredMessage(event) : undefined;
            const tracked: Tracked = { position: event.globalPosition, done: message === undefined };
            this.tracked.push(tracked);
            if (message !== undefined) this.group.enqueue(message, tracked);
          }
          // A batch is acknowledged as a whole before the next is read: bounded memory, simple recovery.
          while (this.active && this.tracked.some((t) => !t.done)) await this.progress.wait(this.o.pollIntervalMs, signal);
          await this.commit();
          if (events.length < this.o.batchSize && this.active) {
            await waitForAny([this.o.published, this.progress], this.o.pollIntervalMs, signal);
          }
        } catch (error) {
          // The store is down or busy: wait and go on from where we are; anything else ends the group's reading.
          if (!(error instanceof EventfoldError && error.retryable)) throw error;
          this.o.onError(error);
          await this.o.sleep(RETRY_MS, signal);
        }
      }
    } catch (error) {
      this.o.onError(error);
    } finally {
      this.exiting = true;
      this.group.clear();
      await this.commit().catch((error: unknown) => this.o.onError(error));
    }
  }
}
