/**
 * Runs a repository's commands for one aggregate one after another within this process. Hot streams
 * (a popular SKU) would otherwise see many concurrent handlers load the same version and all but one
 * fail the append and reload; queueing them locally turns those retries into plain waits. Other
 * processes are still arbitrated by the store's expected-version check.
 */
import type { Command, DomainEvent, Repository } from '@eventfold/core';

export function serializeByStream<TState, TCommand extends Command, TEvent extends DomainEvent>(
  repository: Repository<TState, TCommand, TEvent>,
): Repository<TState, TCommand, TEvent> {
  const tails = new Map<string, Promise<unknown>>();
  return {
    ...repository,
    handle(id, command, options) {
      const previous = tails.get(id) ?? Promise.resolve();
      const run = previous.then(
        () => repository.handle(id, command, options),
        () => repository.handle(id, command, options),
      );
      const tail = run.catch(() => undefined);
      tails.set(id, tail);
      void tail.then(() => {
        if (tails.get(id) === tail) tails.delete(id);
      });
      return run;
    },
  };
}
