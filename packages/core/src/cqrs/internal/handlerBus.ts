/**
 * The engine shared by the command and query buses: one handler per message type and a middleware
 * pipeline. Each handler gets its message context (ids, correlation, causation) as its second
 * argument; the `correlation()` middleware also makes it ambient for nested work.
 */
import type { Headers } from '../../envelope.js';
import { InvalidInputError } from '../../errors.js';
import { uuidv7 } from '../../uuidv7.js';
import { DuplicateHandlerError, NoHandlerError } from '../busErrors.js';
import { type BusHandledMessage, busHandled } from '../cqrsDiagnostics.js';
import { currentMessageContext, type MessageContext } from '../messageContext.js';
import { type StandardSchemaV1, validateWithSchema } from '../validateWithSchema.js';

export interface Message {
  readonly type: string;
}

export interface DispatchOptions {
  /** Id of this message. Give one to make retries idempotent (see `idempotency()`); default a new UUID v7. */
  messageId?: string;
  /** Default: the correlation id of the message being handled, else this message's id. */
  correlationId?: string;
  /** Default: the id of the message being handled. */
  causationId?: string;
  headers?: Headers;
}

/** A message on its way through the middleware to its handler. */
export interface MessageEnvelope<TMessage extends Message = Message> extends MessageContext {
  readonly bus: 'command' | 'query';
  readonly message: TMessage;
  /** True when the caller gave the id (so equal ids mean the same request). */
  readonly messageIdGiven: boolean;
  /** Schema the handler was registered with, if any. */
  readonly schema: StandardSchemaV1 | undefined;
}

export type Middleware = (envelope: MessageEnvelope, next: (envelope: MessageEnvelope) => Promise<unknown>) => Promise<unknown>;

export type HandlerFn<TMessage, TResult> = (message: TMessage, context: MessageContext) => TResult | Promise<TResult>;

export interface RegisterOptions {
  /** Standard Schema (zod, valibot, …) the message must satisfy; a failure throws ValidationError naming the field. */
  schema?: StandardSchemaV1;
}

interface Registration {
  handler: HandlerFn<Message, unknown>;
  schema: StandardSchemaV1 | undefined;
}

// Ids are made on first read: a handler that never looks at them (the common in-process case) pays nothing.
class Envelope implements MessageEnvelope {
  #messageId: string | undefined;
  #correlationId: string | undefined;
  readonly messageIdGiven: boolean;
  readonly causationId: string | undefined;
  readonly headers: Headers;
  constructor(
    readonly bus: 'command' | 'query',
    readonly message: Message,
    readonly schema: StandardSchemaV1 | undefined,
    options: DispatchOptions | undefined,
    private readonly parent: MessageContext | undefined,
  ) {
    this.#messageId = options?.messageId;
    this.messageIdGiven = options?.messageId !== undefined;
    this.#correlationId = options?.correlationId;
    this.causationId = options?.causationId ?? parent?.messageId;
    this.headers = options?.headers ?? (parent?.headers as Headers | undefined) ?? {};
  }
  get messageId(): string {
    this.#messageId ??= uuidv7();
    return this.#messageId;
  }
  get correlationId(): string {
    this.#correlationId ??= this.parent?.correlationId ?? this.messageId;
    return this.#correlationId;
  }
}

export interface HandlerBus {
  register(type: string, handler: HandlerFn<Message, unknown>, options?: RegisterOptions): () => void;
  dispatch(message: Message, options?: DispatchOptions): Promise<unknown>;
  use(middleware: Middleware): void;
  has(type: string): boolean;
}

export function createHandlerBus(bus: 'command' | 'query', middleware: readonly Middleware[]): HandlerBus {
  const handlers = new Map<string, Registration>();
  const pipeline: Middleware[] = [...middleware];

  const invoke = async (envelope: MessageEnvelope): Promise<unknown> => {
    const registration = handlers.get(envelope.message.type);
    if (!registration) throw new NoHandlerError(bus, envelope.message.type);
    let message = envelope.message;
    if (registration.schema) message = (await validateWithSchema(registration.schema, message, message.type)) as Message;
    return registration.handler(message, envelope);
  };

  const run = (envelope: MessageEnvelope, index: number): Promise<unknown> => {
    const step = pipeline[index];
    if (!step) return invoke(envelope);
    return step(envelope, (next) => run(next, index + 1));
  };

  // Only taken while someone listens on eventfold:bus:handled, so the fast path stays fast.
  const observed = async (envelope: MessageEnvelope): Promise<unknown> => {
    const started = performance.now();
    const report = (failure: string | undefined) =>
      busHandled.publish({
        bus,
        type: envelope.message.type,
        messageId: envelope.messageId,
        ms: performance.now() - started,
        failure,
      } satisfies BusHandledMessage);
    try {
      const result = await run(envelope, 0);
      report(undefined);
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      report(typeof code === 'string' ? code : 'error');
      throw error;
    }
  };

  return {
    register(type, handler, options = {}) {
      if (typeof type !== 'string' || type.length === 0) throw new InvalidInputError('type', `a ${bus} type must be a non-empty string.`);
      if (typeof handler !== 'function') throw new InvalidInputError('handler', `the ${bus} handler for "${type}" must be a function.`);
      if (handlers.has(type)) throw new DuplicateHandlerError(bus, type);
      const registration: Registration = { handler, schema: options.schema };
      handlers.set(type, registration);
      return () => {
        if (handlers.get(type) === registration) handlers.delete(type);
      };
    },
    dispatch(message, options) {
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
        return Promise.reject(new InvalidInputError(bus, `must be an object with a string "type", such as { type: 'PlaceOrder', data: {…} }.`));
      }
      const registration = handlers.get(message.type);
      const envelope = new Envelope(bus, message, registration?.schema, options, currentMessageContext());
      if (busHandled.hasSubscribers) return observed(envelope);
      if (pipeline.length === 0 && registration && !registration.schema) {
        // Fast path: no middleware and nothing to validate.
        try {
          return Promise.resolve(registration.handler(message, envelope));
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return run(envelope, 0);
    },
    use(step) {
      pipeline.push(step);
    },
    has: (type) => handlers.has(type),
  };
}
