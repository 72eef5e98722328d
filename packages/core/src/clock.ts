/** Time is injected so retries, timeouts and temporal queries are tested without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  set(time: Date | number): void;
  advance(ms: number): void;
}

export function createManualClock(start: Date | number = 0): ManualClock {
  let current = typeof start === 'number' ? start : start.getTime();
  return {
    now: () => new Date(current),
    set: (time) => {
      current = typeof time === 'number' ? time : time.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
