/**
 * Ids derived from what caused them (UUID version 8 over SHA-256). A saga that handles the same
 * input twice — after a crash, or a duplicate delivery — produces the same command and event ids,
 * so the store keeps one copy and consumers dedupe the command.
 */
import { createHash } from 'node:crypto';

export function deterministicId(...parts: readonly string[]): string {
  // Length-prefixed so ('ab', 'c') and ('a', 'bc') differ; one update call keeps it cheap.
  const b = createHash('sha256')
    .update(parts.map((part) => `${part.length}:${part}`).join(''))
    .digest();
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
