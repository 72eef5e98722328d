import { InvalidInputError } from '@eventfold/core';

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Identifiers cannot be bound as parameters, so the one identifier we place in SQL — the schema
 * name — is checked against a strict pattern and quoted. Everything else is a bound parameter.
 */
export function quoteSchema(schema: string): string {
  if (!SCHEMA.test(schema)) {
    throw new InvalidInputError('schema', `"${schema}" is not allowed; use lowercase letters, digits and _ (at most 63, not starting with a digit).`);
  }
  return `"${schema}"`;
}
