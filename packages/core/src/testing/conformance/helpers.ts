import type { EventToAppend, GlobalPosition } from '../../envelope.js';
import type { EventStore } from '../../eventStore.js';

let counter = 0;
/** A stream id unique within the run, so tests never collide even on a shared store. */
export function newStreamId(prefix = 'stream'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function placed(n: number, extra: Partial<EventToAppend> = {}): EventToAppend {
  return { type: 'OrderPlaced', data: { n, items: [{ sku: `sku-${n}`, qty: n % 5 }] }, ...extra };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Waits until the global log shows everything up to `position`. A durable store may hold back
 * committed events while an older transaction anywhere on the database is still open (it never
 * shows a gap), so tests on a shared server wait for visibility instead of assuming it.
 */
export async function untilVisible(store: EventStore, position: GlobalPosition, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.headPosition()) < position) {
    if (Date.now() > deadline) throw new Error(`position ${position} not visible within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
