/**
 * The in-process transport keeps messages in the store as events of the message's type in `$…`
 * system streams; read models project the contexts' own streams only.
 */
import type { ProjectionHandler, RecordedEvent } from '@eventfold/core';

export function domainOnly<TContext>(handlers: Record<string, ProjectionHandler<TContext>>): Record<string, ProjectionHandler<TContext>> {
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => [
      type,
      (event: RecordedEvent, context: TContext) => (event.streamId.startsWith('$') ? undefined : handler(event, context)),
    ]),
  );
}
