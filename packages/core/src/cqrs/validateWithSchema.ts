/** Validation through Standard Schema (zod, valibot, arktype…), reporting field paths as `a.b[0].c`. */
import { ValidationError, type ValidationIssue } from './busErrors.js';

/**
 * The part of the Standard Schema v1 interface (https://standardschema.dev) used here, copied as the
 * spec recommends so core needs no dependency; zod ≥ 3.24, valibot and arktype schemas satisfy it.
 */
export interface StandardSchemaV1<TInput = unknown, TOutput = TInput> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaV1.Result<TOutput> | Promise<StandardSchemaV1.Result<TOutput>>;
    readonly types?: { readonly input: TInput; readonly output: TOutput } | undefined;
  };
}

export declare namespace StandardSchemaV1 {
  type Result<TOutput> = { readonly value: TOutput; readonly issues?: undefined } | { readonly issues: readonly Issue[] };
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  }
}

function formatPath(path: StandardSchemaV1.Issue['path']): string {
  let out = '';
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Returns the validated (possibly transformed) value, or throws a ValidationError naming the failing path. */
export async function validateWithSchema<T>(schema: StandardSchemaV1<unknown, T>, value: unknown, type: string): Promise<T> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const issues: ValidationIssue[] = result.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
    throw new ValidationError(type, issues);
  }
  return result.value;
}
