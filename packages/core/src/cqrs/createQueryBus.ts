/**
 * The in-process query bus: one handler per query type. A query can ask for read-your-writes: wait
 * until a named projection has processed a global position (returned by the command that wrote)
 * before it runs, or fail with a ProjectionTimeoutError.
 */
import type { GlobalPosition } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import { createHandlerBus, type DispatchOptions, type HandlerFn, type Message, type Middleware, type RegisterOptions } from './internal/handlerBus.js';

export interface WaitForPositionOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Resolves once projection `name` has processed `position`; rejects with ProjectionTimeoutError after timeoutMs. */
export type WaitForPosition = (name: string, position: GlobalPosition, options: WaitForPositionOptions) => Promise<void>;

export interface QueryOptions extends DispatchOptions {
  /** Read-your-writes: run only after this projection has processed this position. */
  consistency?: { projection: string; position: GlobalPosition; timeoutMs?: number };
}

export interface QueryBusOptions {
  middleware?: readonly Middleware[];
  /** How to wait for a projection; needed for `consistency`. See `createProjectionRegistry().waitForPosition`. */
  waitForPosition?: WaitForPosition;
  /** Default timeout for `consistency`, in ms. Default 5,000. */
  defaultTimeoutMs?: number;
}

export interface QueryBus<TQuery extends Message = Message> {
  register<TType extends TQuery['type'], TResult>(
    type: TType,
    handler: HandlerFn<Extract<TQuery, { type: TType }>, TResult>,
    options?: RegisterOptions,
  ): () => void;
  execute<TResult = unknown>(query: TQuery, options?: QueryOptions): Promise<TResult>;
  use(middleware: Middleware): void;
  has(type: string): boolean;
}

/**
 * @example
 * const queries = createQueryBus<AccountQuery>({ waitForPosition: projections.waitForPosition });
 * const { globalPosition } = await commands.dispatch(deposit);
 * await queries.execute({ type: 'GetBalance', accountId: 'a1' }, { consistency: { projection: 'balances', position: globalPosition } });
 */
export function createQueryBus<TQuery extends Message = Message>(options: QueryBusOptions = {}): QueryBus<TQuery> {
  const bus = createHandlerBus('query', options.middleware ?? []);
  return {
    register: bus.register as QueryBus<TQuery>['register'],
    async execute<TResult>(query: TQuery, queryOptions: QueryOptions = {}): Promise<TResult> {
      const { consistency } = queryOptions;
      if (consistency) {
        if (!options.waitForPosition) {
          throw new InvalidInputError('consistency', 'this query bus has no waitForPosition; pass one to createQueryBus({ waitForPosition }).');
        }
        await options.waitForPosition(consistency.projection, consistency.position, { timeoutMs: consistency.timeoutMs ?? options.defaultTimeoutMs ?? 5000 });
      }
      return (await bus.dispatch(query, queryOptions)) as TResult;
    },
    use: bus.use,
    has: bus.has,
  };
}
