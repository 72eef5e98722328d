/**
 * The tail of the log this process appended, kept in memory so the readers of `readAll` (relay,
 * projections, transport groups, saga runners) do not each query and parse every new event again.
 * It only ever holds a gap-free run of positions: an append whose first position does not follow
 * the last one held (another process or an explicit transaction wrote in between) starts the run
 * anew, so a slice served from here is exactly what the database holds at those positions.
 */
import type { PreparedEvent, RecordedEvent } from '@eventfold/core';

export class RecentEvents {
  private events: RecordedEvent[] = [];
  /** Global position of `events[0]`. */
  private first = 0;

  constructor(private readonly capacity: number) {}

  /** Records committed events; `positions[i]` is the global position of `prepared[i]`. */
  add(streamId: string, firstVersion: number, prepared: readonly PreparedEvent[], positions: readonly number[], occurredAt: Date): void {
    if (this.capacity <= 0) return;
    prepared.forEach((e, i) => {
      const position = positions[i] as number;
      if (this.events.length === 0 || position !== this.first + this.events.length) {
        this.events = [];
        this.first = position;
      }
      this.events.push({
        eventId: e.eventId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        data: JSON.parse(e.data),
        streamId,
        streamPosition: firstVersion + i,
        globalPosition: BigInt(position),
        occurredAt: new Date(occurredAt.getTime()),
        correlationId: e.correlationId,
        causationId: e.causationId,
        headers: { ...e.headers },
      });
    });
    // Drop the oldest in chunks, so trimming stays amortised O(1) per event.
    if (this.events.length > this.capacity * 2) {
      const drop = this.events.length - this.capacity;
      this.events = this.events.slice(drop);
      this.first += drop;
    }
  }

  /**
   * Up to `maxCount` events after `after`, or undefined when this run does not hold the next one
   * (the caller then asks the database, which also sees other processes' writes).
   */
  read(after: number, maxCount: number): RecordedEvent[] | undefined {
    const from = after + 1 - this.first;
    if (from < 0 || from >= this.events.length) return undefined;
    return this.events.slice(from, from + maxCount);
  }

  clear(): void {
    this.events = [];
  }
}
