/**
 * What a reader of a type-filtered log (`TypedLogReader.readAllOfTypes`) remembers between reads:
 * the stretch the last read examined past the last event it returned, in which none of its types lies
 * (it is final there, below the horizon). A read after a position inside that stretch starts at its
 * end; a read from before it — a batch that failed and is read again, a checkpoint moved back — reads
 * as asked. Used by the relay and the projection runner.
 */
import type { GlobalPosition, RecordedEvent } from './envelope.js';

export interface ScanMark {
  /** Where a read asked to start after `after` may start. */
  start(after: GlobalPosition): GlobalPosition;
  /** Records a read asked after `after` that started at `from` and returned `events`, having looked up to `scannedTo`. */
  record(after: GlobalPosition, from: GlobalPosition, events: readonly RecordedEvent[], scannedTo: GlobalPosition): void;
  /** Forgets the stretch (a rebuild starts over). */
  reset(): void;
}

export function createScanMark(): ScanMark {
  /** No event of the reader's types lies in (from, to]. */
  let skip: { from: GlobalPosition; to: GlobalPosition } | undefined;
  return {
    start: (after) => (skip !== undefined && after >= skip.from && after < skip.to ? skip.to : after),
    record(after, from, events, scannedTo) {
      const last = events[events.length - 1]?.globalPosition;
      // With nothing returned, a read that started at the old stretch's end extends that stretch.
      skip = { from: last ?? (from === after || skip === undefined ? after : skip.from), to: scannedTo };
    },
    reset() {
      skip = undefined;
    },
  };
}
