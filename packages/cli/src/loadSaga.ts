/**
 * The operator API needs the saga's definition (a retry re-issues the step's command), and a saga is
 * code, so the CLI imports it from the operator's own module: `--saga ./dist/sagas.js#orderFulfilment`.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidInputError, type SagaDefinition } from '@eventfold/core';

// biome-ignore lint/suspicious/noExplicitAny: the CLI works on any saga definition.
export type AnySaga = SagaDefinition<any, any>;

const isSaga = (value: unknown): value is AnySaga =>
  typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && Array.isArray((value as { steps?: unknown }).steps);

/** `spec` is `<module path>[#<export name>]`; without `#` the default export is used. */
export async function loadSaga(spec: string, source: string, cwd: string): Promise<AnySaga> {
  const hash = spec.lastIndexOf('#');
  const modulePath = hash === -1 ? spec : spec.slice(0, hash);
  const exportName = hash === -1 ? 'default' : spec.slice(hash + 1);
  if (modulePath.length === 0 || exportName.length === 0) {
    throw new InvalidInputError(source, `"${spec}" must be <module path>#<export name>, e.g. ./dist/sagas.js#orderFulfilment.`);
  }
  const url = isAbsolute(modulePath) || modulePath.startsWith('.') ? pathToFileURL(resolve(cwd, modulePath)).href : modulePath;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(source, `cannot import ${modulePath}: ${(error as Error).message}`);
  }
  const saga = loaded[exportName];
  if (!isSaga(saga)) {
    const found = Object.keys(loaded).filter((k) => isSaga(loaded[k]));
    throw new InvalidInputError(
      source,
      `${modulePath} has no saga definition exported as "${exportName}"${found.length > 0 ? `; it exports ${found.map((k) => `#${k}`).join(', ')}` : ''}.`,
    );
  }
  return saga;
}
