import type { EventToAppend } from '../../envelope.js';

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
