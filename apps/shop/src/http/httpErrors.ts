/**
 * Every failure as a JSON body `{ error: { code, message, … } }` with a 4xx status naming the problem.
 * Only a bug reaches 500: bad input of any shape is mapped here before that.
 */
import { isEventfoldError } from '@eventfold/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const NOT_FOUND_REASONS = new Set(['OrderNotFound', 'UnknownProduct']);

export function toErrorResponse(error: unknown): { status: number; body: { error: Record<string, unknown> } } {
  if (error instanceof HttpError) return { status: error.statusCode, body: { error: { code: error.code, message: error.message, ...error.details } } };
  if (isEventfoldError(error)) {
    const context = error.context as { reason?: string; path?: string };
    let status = 500;
    if (error.code === 'EVENTFOLD_INVALID_INPUT' || error.code === 'EVENTFOLD_VALIDATION') status = 400;
    else if (error.code === 'EVENTFOLD_PAYLOAD_TOO_LARGE') status = 413;
    else if (error.code === 'EVENTFOLD_COMMAND_REJECTED') status = NOT_FOUND_REASONS.has(context.reason ?? '') ? 404 : 409;
    else if (error.code === 'EVENTFOLD_CONCURRENCY') status = 409;
    else if (error.code === 'EVENTFOLD_STREAM_NOT_FOUND' || error.code === 'EVENTFOLD_SAGA_NOT_FOUND') status = 404;
    else if (error.code === 'EVENTFOLD_SAGA_STATE') status = 409;
    else if (error.code === 'EVENTFOLD_PROJECTION_TIMEOUT' || error.retryable) status = 503;
    return {
      status,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(context.reason ? { reason: context.reason } : {}),
          ...(context.path ? { path: context.path } : {}),
        },
      },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const where = fastifyError.validationContext ?? 'request';
    const path = `${where}${first?.instancePath ? first.instancePath.replaceAll('/', '.') : ''}`;
    return { status: 400, body: { error: { code: 'EVENTFOLD_VALIDATION', message: `${path} ${first?.message ?? 'is invalid'}`, path } } };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message ?? 'Bad request.' } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; the server log has the details.' } } };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (status === 503) void reply.header('retry-after', '1');
  void reply.status(status).send(body);
}
