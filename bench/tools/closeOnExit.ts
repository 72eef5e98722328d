/**
 * Keeps a measuring tool's cleanup running when its output goes away or it is interrupted. A reader
 * that closes the pipe early (`… | head`) makes stdout fail with EPIPE, and Ctrl-C sends SIGINT;
 * either used to end the tool before `run.close()`, leaving its PostgreSQL schema, broker topics and
 * service processes behind. Now output to a closed pipe is dropped, and a signal closes the run
 * before the tool exits.
 *
 * @returns `close`, safe to call more than once (the tool's `finally` and a signal may both call it).
 */
export function closeOnExit(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const once = () => {
    closing ??= close();
    return closing;
  };
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: closing the run (schema, topics, service processes)…\n`);
      void once().finally(() => process.exit(130));
    });
  }
  return once;
}
