/**
 * The in-process command bus: exactly one handler per command type, typed by the command union,
 * with middleware around every dispatch (validation, logging, idempotency…). Nested dispatches
 * and appends made by a handler inherit its correlation id and name it as their cause.
 */
import { createHandlerBus, type DispatchOptions, type HandlerFn, type Message, type Middleware, type RegisterOptions } from './internal/handlerBus.js';

export type { DispatchOptions, HandlerFn, Message, MessageEnvelope, Middleware, RegisterOptions } from './internal/handlerBus.js';

export interface CommandBusOptions {
  /** Run in order around every dispatch; the first is outermost. */
  middleware?: readonly Middleware[];
}

export interface CommandBus<TCommand extends Message = Message> {
  /** Registers the one handler for a command type; a second registration throws DuplicateHandlerError. Returns an unregister function. */
  register<TType extends TCommand['type'], TResult>(
    type: TType,
    handler: HandlerFn<Extract<TCommand, { type: TType }>, TResult>,
    options?: RegisterOptions,
  ): () => void;
  /** Runs the command's handler; rejects with NoHandlerError, ValidationError or whatever the handler throws. */
  dispatch<TResult = unknown>(command: TCommand, options?: DispatchOptions): Promise<TResult>;
  use(middleware: Middleware): void;
  has(type: string): boolean;
}

/**
 * @example
 * const commands = createCommandBus<AccountCommand>({ middleware: [logging()] });
 * commands.register('DepositMoney', (cmd) => accounts.handle(cmd.data.accountId, cmd), { schema: depositSchema });
 * await commands.dispatch({ type: 'DepositMoney', data: { accountId: 'a1', amount: 10 } });
 */
export function createCommandBus<TCommand extends Message = Message>(options: CommandBusOptions = {}): CommandBus<TCommand> {
  return createHandlerBus('command', options.middleware ?? []) as CommandBus<TCommand>;
}
