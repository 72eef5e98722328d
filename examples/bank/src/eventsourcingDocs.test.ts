/**
 * Docs are code: every ```ts block in docs/eventsourcing.md preceded by `<!-- snippet: path -->`
 * must appear, line for line (indentation aside), in that file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(root, 'docs/eventsourcing.md'), 'utf8');
const snippets = [...doc.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({ path: m[1] as string, code: m[2] as string }));
const normalise = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n');

test('the guide has snippets', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(8);
});

test.each(snippets.map((s) => [s.path, s] as const))('snippet from %s matches the file', (_path, snippet) => {
  expect(normalise(readFileSync(join(root, snippet.path), 'utf8'))).toContain(normalise(snippet.code));
});
