/**
 * One consumer group of the in-memory transport: a FIFO of unacknowledged messages shared by its
 * members (competing consumers). A key is "busy" while one of its messages is being handled or
 * waits for a retry, and later messages of that key wait behind it: per-key order holds across the
 * whole group, while other keys keep flowing (retries block their own key only).
 */

import type { Clock } from '../../clock.js';
import type { Binding } from '../bindings.js';
import { type DeadLetter, fromDeadLetterMessage, toDeadLetterMessage } from '../deadLetter.js';
import type { MessageHandler, OutgoingMessage } from '../message.js';
import { publishMessageDeadLettered, publishMessageRetry } from '../messagingDiagnostics.js';
import type { RetryPolicy } from '../retryPolicy.js';
import type { Sleep } from '../timers.js';
import type { ConsumeOptions, Consumer } from '../transport.js';

interface Entry {
  readonly message: OutgoingMessage;
  readonly seq: number;
  /** Whatever the owner needs to know when the message settles (the store transport: its log position). */
  readonly tag: unknown;
  attempt: number;
}

export interface MemoryGroupDependencies {
  clock: Clock;
  sleep: Sleep;
  nextDeadLetterId: () => string;
  /** Where dead letters go; default: the group's in-memory `deadLetters` list. Settling waits for it. */
  deadLetterSink?: (record: OutgoingMessage) => Promise<void>;
  /** Called once a message is acknowledged or dead-lettered (not when it is put back for a retry or a stop). */
  onSettled?: (tag: unknown) => void;
}

export interface MemberSettings {
  binding: Binding;
  handler: MessageHandler;
  policy: RetryPolicy;
  options: ConsumeOptions;
}

export class MemoryGroup {
  private readonly queue: Entry[] = [];
  private readonly busyKeys = new Set<string>();
  private readonly members: Member[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private seq = 0;
  private next = 0;

  constructor(
    readonly destination: string,
    readonly group: string,
    private readonly deps: MemoryGroupDependencies,
  ) {}

  get pendingCount(): number {
    return this.queue.length;
  }

  enqueue(message: OutgoingMessage, tag?: unknown): void {
    this.queue.push({ message, seq: this.seq++, attempt: 1, tag });
    this.pump();
  }

  get memberCount(): number {
    return this.members.length;
  }

  /** Drops messages not yet handed out (their owner will deliver them again). */
  clear(): void {
    this.queue.length = 0;
  }

  settled(entry: Entry): void {
    this.deps.onSettled?.(entry.tag);
  }

  join(settings: MemberSettings): Consumer {
    const member = new Member(this, settings, this.deps);
    this.members.push(member);
    this.pump();
    return member.consumer;
  }

  leave(member: Member): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
  }

  /** Puts a message back, in publish order, after a retry wait or a stop. */
  requeue(entry: Entry): void {
    this.busyKeys.delete(entry.message.key);
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as Entry).seq > entry.seq) i -= 1;
    this.queue.splice(i, 0, entry);
    this.pump();
  }

  release(key: string): void {
    this.busyKeys.delete(key);
    this.pump();
  }

  async deadLetter(entry: Entry, error: unknown): Promise<void> {
    const record = toDeadLetterMessage(entry.message, {
      error,
      attempts: entry.attempt,
      origin: this.destination,
      group: this.group,
      at: this.deps.clock.now(),
    });
    if (this.deps.deadLetterSink) await this.deps.deadLetterSink(record);
    else this.deadLetters.push(fromDeadLetterMessage(this.deps.nextDeadLetterId(), record));
    publishMessageDeadLettered({
      destination: this.destination,
      group: this.group,
      messageId: entry.message.id,
      type: entry.message.type,
      attempts: entry.attempt,
      reason: record.headers['eventfold-dlq-reason'] ?? '',
    });
  }

  /** Hands ready messages to members with spare capacity, oldest first, skipping busy keys. */
  pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const entry = this.queue[i] as Entry;
      if (this.busyKeys.has(entry.message.key)) {
        i += 1;
        continue;
      }
      const member = this.pickMember();
      if (member === undefined) return;
      this.queue.splice(i, 1);
      this.busyKeys.add(entry.message.key);
      member.start(entry);
    }
  }

  private pickMember(): Member | undefined {
    for (let n = 0; n < this.members.length; n += 1) {
      const member = this.members[(this.next + n) % this.members.length] as Member;
      if (member.hasCapacity()) {
        this.next = (this.next + n + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }
}

class Member {
  private running = 0;
  private inFlight = 0;
  private paused = false;
  private throttled = false;
  private stopped = false;
  private readonly concurrency: number;
  private readonly maxInFlight: number;
  private readonly controller = new AbortController();
  private idle: (() => void) | undefined;
  private markDone!: () => void;
  readonly consumer: Consumer;

  constructor(
    private readonly group: MemoryGroup,
    private readonly settings: MemberSettings,
    private readonly deps: MemoryGroupDependencies,
  ) {
    this.concurrency = settings.binding.consumer?.concurrency ?? 1;
    this.maxInFlight = Math.max(this.concurrency, settings.binding.consumer?.maxInFlight ?? 4 * this.concurrency);
    const done = new Promise<void>((resolve) => {
      this.markDone = resolve;
    });
    const self = this;
    this.consumer = {
      pause: () => {
        self.paused = true;
      },
      resume: () => {
        self.paused = false;
        self.group.pump();
      },
      get paused() {
        return self.paused;
      },
      get inFlight() {
        return self.inFlight;
      },
      stop: () => self.stop(),
      done,
    };
    const signal = settings.options.signal;
    if (signal) {
      if (signal.aborted) void this.stop();
      else signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
  }

  hasCapacity(): boolean {
    return !this.paused && !this.stopped && this.running < this.concurrency && this.inFlight < this.maxInFlight;
  }

  start(entry: Entry): void {
    this.inFlight += 1;
    if (this.inFlight >= this.maxInFlight && !this.throttled) {
      this.throttled = true;
      this.settings.options.onPause?.();
    }
    this.running += 1;
    void this.process(entry);
  }

  private async process(entry: Entry): Promise<void> {
    const { handler, policy } = this.settings;
    let failure: { error: unknown } | undefined;
    try {
      // Never call a handler from inside publish(): a handler that publishes would re-enter the pump.
      await Promise.resolve();
      await handler({ ...entry.message, destination: this.group.destination, attempt: entry.attempt });
    } catch (error) {
      failure = { error };
    }
    this.running -= 1;
    if (failure === undefined) {
      this.group.settled(entry);
      this.finish();
      this.group.release(entry.message.key);
      return;
    }
    if (!policy.shouldRetry(entry.attempt, failure.error)) {
      try {
        await this.group.deadLetter(entry, failure.error);
      } catch {
        // The dead letter could not be stored: keep the message (unacknowledged) and try again later.
        await this.deps.sleep(policy.delayAfter(entry.attempt), this.controller.signal);
        this.finish();
        this.group.requeue(entry);
        return;
      }
      this.group.settled(entry);
      this.finish();
      this.group.release(entry.message.key);
      return;
    }
    // The key stays busy while we wait, so later messages of this key cannot overtake the retry.
    this.group.pump();
    const delayMs = policy.delayAfter(entry.attempt);
    publishMessageRetry({
      destination: this.group.destination,
      group: this.group.group,
      messageId: entry.message.id,
      attempt: entry.attempt,
      delayMs,
      error: failure.error,
    });
    await this.deps.sleep(delayMs, this.controller.signal);
    // Cut short by stop() or not, the attempt failed: whoever gets the message next makes the next one.
    entry.attempt += 1;
    this.finish();
    this.group.requeue(entry);
  }

  private finish(): void {
    this.inFlight -= 1;
    if (this.throttled && this.inFlight <= Math.floor(this.maxInFlight / 2)) {
      this.throttled = false;
      this.settings.options.onResume?.();
    }
    if (this.inFlight === 0) this.idle?.();
  }

  private async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.group.leave(this);
      // Cut retry waits short: those messages go back to the group unacknowledged.
      this.controller.abort();
      if (this.inFlight > 0) {
        await new Promise<void>((resolve) => {
          this.idle = resolve;
        });
      }
      this.markDone();
      this.group.pump();
    }
    await this.consumer.done;
  }
}
