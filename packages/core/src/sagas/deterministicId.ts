/**
 * Ids derived from what caused them (UUID version 8 over SHA-256). A saga that handles the same
 * input twice — after a crash, or a duplicate delivery — produces the same command and event ids,
 * so the store keeps one copy and consumers dedupe the command.
 */
import { hash } from 'node:crypto';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function fromHash(parts: readonly string[], timePrefix: string | undefined): string {
  // Length-prefixed so ('ab', 'c') and ('a', 'bc') differ; one update call keeps it cheap.
  let text = '';
  for (const part of parts) text += `${part.length}:${part}`;
  // One-shot hash: no Hash object per id (about half the cost of createHash().update().digest()).
  const b = hash('sha256', text, 'buffer');
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  const head = timePrefix ?? h.slice(0, 12);
  return `${head.slice(0, 8)}-${head.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function deterministicId(...parts: readonly string[]): string {
  return fromHash(parts, undefined);
}

/**
 * Like `deterministicId`, and when `anchor` is a UUID v7 (an event id of the store, say) the id
 * starts with the anchor's 48-bit millisecond timestamp: the ids one saga instance or reaction derives
 * sort beside their cause, so indexes on them (the store's event-id index, the timer table) take
 * inserts at their right edge instead of on a random page each. The rest is the hash of `parts` (which
 * name the instance, e.g. its stream id), so the same inputs still give the same id.
 *
 * @example
 * deterministicIdAfter(startEventId, streamId, 'timer', 'timeout', step, phase, String(attempt));
 */
export function deterministicIdAfter(anchor: string | undefined, ...parts: readonly string[]): string {
  if (anchor === undefined || !UUID_V7.test(anchor)) return fromHash(parts, undefined);
  // Only the anchor's time is taken, not its random bits: the id stays a function of `parts` and the
  // anchor's millisecond, so a replay with the same clock (a simulation seed) derives the same ids.
  return fromHash(parts, `${anchor.slice(0, 8)}${anchor.slice(9, 13)}`.toLowerCase());
}
