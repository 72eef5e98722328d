/**
 * Maps driver errors to EventfoldErrors so no raw pg error (40001, 40P01, 23505, connection
 * failures) reaches a caller. The message never includes the connection string.
 */
import { EventfoldError } from '@eventfold/core';

export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/** Serialization failures and deadlocks: the statement was rolled back whole and may be retried. */
export function isTransient(error: unknown): boolean {
  const code = pgCode(error);
  return code === '40001' || code === '40P01';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function translateError(error: unknown): unknown {
  if (error instanceof EventfoldError) return error;
  const code = pgCode(error);
  if (code && CONNECTION_CODES.has(code)) {
    return new EventfoldError('EVENTFOLD_STORE_UNAVAILABLE', `PostgreSQL is unreachable or shutting down (${code}); retry when it is back.`, {
      retryable: true,
      cause: error,
    });
  }
  if (isTransient(error)) {
    return new EventfoldError('EVENTFOLD_STORE_UNAVAILABLE', `PostgreSQL aborted the statement (${code}: serialization failure or deadlock); retry it.`, {
      retryable: true,
      cause: error,
    });
  }
  if (
    error instanceof Error &&
    /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(error.message)
  ) {
    return new EventfoldError('EVENTFOLD_STORE_UNAVAILABLE', 'The connection to PostgreSQL was lost; retry when it is back.', {
      retryable: true,
      cause: error,
    });
  }
  return error;
}
