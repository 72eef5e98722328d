/**
 * Who may publish for a relay right now. Several relay processes may run for availability; the one
 * holding the lease publishes, the others wait to take over when it stops renewing. The lease keeps
 * two relays from publishing the same range at the same time in normal operation; the checkpoint's
 * compare-and-set is the fence when a paused holder wakes up after its lease expired.
 */
import { type Clock, systemClock } from '../clock.js';

export interface RelayLease {
  /**
   * Takes the lease `name` for `owner` until now + `ttlMs`, or renews it when `owner` holds it.
   * Resolves true when `owner` holds it afterwards, false when someone else's lease is still valid.
   */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once (if `owner` holds it), so a standby can take over without waiting for expiry. */
  release(name: string, owner: string): Promise<void>;
}

/** A lease for relays in one process (tests, embedded mode). SQLite and PostgreSQL ship shared ones. */
export function createInMemoryRelayLease(options: { clock?: Clock } = {}): RelayLease {
  const clock = options.clock ?? systemClock;
  const leases = new Map<string, { owner: string; expiresAt: number }>();
  return {
    async tryAcquire(name, owner, ttlMs) {
      const now = clock.now().getTime();
      const current = leases.get(name);
      if (current !== undefined && current.owner !== owner && current.expiresAt > now) return false;
      leases.set(name, { owner, expiresAt: now + ttlMs });
      return true;
    },
    async release(name, owner) {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },
  };
}
