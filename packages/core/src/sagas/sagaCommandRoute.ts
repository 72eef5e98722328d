/**
 * Saga commands leave through the outbox relay: a `SagaCommandIssued` event in a saga log becomes a
 * command message on the binding of its destination service. The message id is the command id, so
 * the receiver's inbox drops a redelivery; the key is the saga instance, so one saga's commands stay
 * in order. `readSagaCommand` turns a delivered message back into the command and its context.
 */
import type { Headers, JsonValue, RecordedEvent } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { Binding } from '../messaging/bindings.js';
import type { RelayRoute } from '../messaging/createRelay.js';
import { encodeJsonMessage } from '../messaging/jsonSerde.js';
import { type DeliveredMessage, MESSAGE_HEADERS } from '../messaging/message.js';
import type { SagaCommandIssuedData } from './sagaLog.js';

export const SAGA_HEADERS = {
  saga: 'eventfold-saga',
  sagaId: 'eventfold-saga-id',
  idempotencyKey: 'eventfold-idempotency-key',
} as const;

export interface SagaCommandRouteOptions {
  /** Only commands for these destinations (`SagaCommand.to`). Default: every saga command. */
  to?: string | readonly string[];
  /** Only commands of this saga. */
  saga?: string;
}

/**
 * @example
 * createRelay({ name: 'saga-commands', store, transport, routes: [sagaCommandRoute(bindings.payments, { to: 'payments' })] });
 */
export function sagaCommandRoute(binding: Binding, options: SagaCommandRouteOptions = {}): RelayRoute {
  const to = options.to === undefined ? undefined : new Set(typeof options.to === 'string' ? [options.to] : options.to);
  return {
    binding,
    filter: (event) => {
      if (event.type !== 'SagaCommandIssued') return false;
      const data = event.data as unknown as SagaCommandIssuedData;
      return (to === undefined || to.has(data.command.to ?? '')) && (options.saga === undefined || data.saga === options.saga);
    },
    toMessage: (event) => sagaCommandMessage(event),
  };
}

/** The command message for a `SagaCommandIssued` event. */
export function sagaCommandMessage(event: RecordedEvent) {
  const data = event.data as unknown as SagaCommandIssuedData;
  const headers: Headers = {
    ...event.headers,
    [SAGA_HEADERS.saga]: data.saga,
    [SAGA_HEADERS.sagaId]: data.sagaId,
    [SAGA_HEADERS.idempotencyKey]: data.idempotencyKey,
    [MESSAGE_HEADERS.causationId]: event.eventId,
  };
  if (event.correlationId !== undefined) headers[MESSAGE_HEADERS.correlationId] = event.correlationId;
  return encodeJsonMessage({ id: event.eventId, type: data.command.type, key: `${data.saga}:${data.sagaId}`, data: data.command.data, headers });
}

export interface DeliveredSagaCommand {
  commandId: string;
  type: string;
  data: JsonValue;
  saga: string;
  sagaId: string;
  idempotencyKey: string;
  correlationId: string | undefined;
  /** The command id: what the handler's events name as their cause (run them in a message context with it). */
  causationId: string;
}

/** Reads a saga command message (as `sagaCommandMessage` wrote it). InvalidInputError when it is not one. */
export function readSagaCommand(message: DeliveredMessage): DeliveredSagaCommand {
  const saga = message.headers[SAGA_HEADERS.saga];
  const sagaId = message.headers[SAGA_HEADERS.sagaId];
  if (saga === undefined || sagaId === undefined) {
    throw new InvalidInputError(
      'message.headers',
      `message ${message.id} (${message.type}) is not a saga command: the ${SAGA_HEADERS.saga} header is missing.`,
    );
  }
  let data: JsonValue;
  try {
    data = JSON.parse(new TextDecoder().decode(message.body)) as JsonValue;
  } catch (error) {
    throw new InvalidInputError('message.body', `saga command ${message.id} is not JSON: ${String(error)}`);
  }
  return {
    commandId: message.id,
    type: message.type,
    data,
    saga,
    sagaId,
    idempotencyKey: message.headers[SAGA_HEADERS.idempotencyKey] ?? `${saga}:${sagaId}`,
    correlationId: message.headers[MESSAGE_HEADERS.correlationId],
    causationId: message.id,
  };
}
