/**
 * Runs a repository's commands for one aggregate one after another within this process, and hands the
 * commands that queued up meanwhile to the repository together (`handleMany`: decided in order, one
 * append). Hot streams (a popular SKU takes a reservation or a shipment from every other order) would
 * otherwise see concurrent handlers load the same version and all but one fail the append and reload;
 * queued one at a time, each waited a whole append round trip per command ahead of it (measured: 50–80
 * ms median, ~230 ms p99 at 300 orders/s on a 2-core machine). Other processes are still arbitrated
 * by the store's expected-version check.
 *
 * A command with options of its own (an expected version, `assumeNew`) runs alone, in its place in the
 * queue. Each command's events carry its own message's correlation and causation ids, as if it had
 * been handled on its own.
 */
import { type Command, type DomainEvent, eventMetadata, type HandleOptions, type HandleResult, type Repository } from '@eventfold/core';

/** Commands decided together at most (one append). */
const MAX_BATCH = 64;

interface Queued<TState, TCommand, TEvent> {
  command: TCommand;
  /** Options the caller gave beyond message metadata: such a command runs alone. */
  alone: boolean;
  options: HandleOptions;
  resolve: (result: HandleResult<TState, TEvent>) => void;
  reject: (error: unknown) => void;
}

export function serializeByStream<TState, TCommand extends Command, TEvent extends DomainEvent>(
  repository: Repository<TState, TCommand, TEvent>,
): Repository<TState, TCommand, TEvent> {
  type Entry = Queued<TState, TCommand, TEvent>;
  const queues = new Map<string, Entry[]>();

  const runAlone = (id: string, entry: Entry) => repository.handle(id, entry.command, entry.options).then(entry.resolve, entry.reject);

  const runTogether = async (id: string, batch: Entry[]) => {
    let results: Awaited<ReturnType<typeof repository.handleMany>>;
    try {
      results = await repository.handleMany(
        id,
        batch.map(({ command, options }) => ({ command, ...options })),
      );
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    results.forEach((outcome, i) => {
      const entry = batch[i] as Entry;
      if (outcome.ok) entry.resolve(outcome.result);
      else entry.reject(outcome.error);
    });
  };

  const drain = async (id: string, queue: Entry[]) => {
    try {
      while (queue.length > 0) {
        let size = 0;
        while (size < queue.length && size < MAX_BATCH && !(queue[size] as Entry).alone) size++;
        if (size <= 1) await runAlone(id, queue.shift() as Entry);
        else await runTogether(id, queue.splice(0, size));
      }
    } finally {
      queues.delete(id);
    }
  };

  return {
    ...repository,
    handle(id, command, options = {}) {
      const { correlationId, causationId, headers, ...own } = options;
      // The queue runs in its own async context: the metadata is taken from the caller's now.
      const meta = eventMetadata({ correlationId, causationId, headers });
      return new Promise<HandleResult<TState, TEvent>>((resolve, reject) => {
        const entry: Entry = { command, alone: Object.keys(own).length > 0, options: { ...own, ...meta }, resolve, reject };
        const queue = queues.get(id);
        if (queue !== undefined) queue.push(entry);
        else {
          const fresh = [entry];
          queues.set(id, fresh);
          void drain(id, fresh);
        }
      });
    },
  };
}
