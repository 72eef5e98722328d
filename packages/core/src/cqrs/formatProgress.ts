import type { RebuildProgress } from './createProjectionRunner.js';

/** One human line for a rebuild's progress, e.g. `rebuild balances: 50,000/100,000 events (50.0%), 41,322 events/s`. */
export function formatProgress(progress: RebuildProgress): string {
  const n = (value: number) => Math.round(value).toLocaleString('en-US');
  const of = progress.total === undefined ? '' : `/${n(progress.total)}`;
  const percent = progress.total ? ` (${((100 * progress.processed) / progress.total).toFixed(1)}%)` : '';
  return `rebuild ${progress.name}: ${n(progress.processed)}${of} events${percent}, ${n(progress.eventsPerSecond)} events/s${progress.done ? ', done' : ''}`;
}
