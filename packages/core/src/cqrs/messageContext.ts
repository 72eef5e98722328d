/**
 * The message being handled, carried through async calls (AsyncLocalStorage) so everything a
 * handler does — appends, nested dispatches, published events — inherits its correlation id and
 * names it as the cause, without passing ids by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Headers } from '../envelope.js';

export interface MessageContext {
  /** Id of the message being handled (a command id, query id or event id). */
  readonly messageId: string;
  /** Id shared by every message of one business flow. */
  readonly correlationId: string;
  /** Id of the message that caused this one. */
  readonly causationId: string | undefined;
  readonly headers: Readonly<Headers>;
}

const storage = new AsyncLocalStorage<MessageContext>();

/** The context of the message being handled, if any. */
export function currentMessageContext(): MessageContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current message context. */
export function runInMessageContext<T>(context: MessageContext, fn: () => T): T {
  return storage.run(context, fn);
}
