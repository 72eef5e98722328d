/**
 * The benchmark harness. A workload measures Eventfold and each anchor it is compared with, in the
 * same run, interleaved round by round so machine noise hits all of them alike; the report quotes
 * medians and the ratio Eventfold / anchor (higher is better for throughput units).
 */

export interface Measurement {
  /** Operations (events, messages, commands…) completed. */
  operations: number;
  /** Wall time in ms for those operations. */
  ms: number;
  /** Latency p99 of the round, in ms, for workloads that measure latency (checked by a `RateTarget`'s `maxP99Ms`). */
  p99Ms?: number;
}

export interface Contender {
  name: string;
  /** One measured round. Set up outside the timed part where possible; return what was timed. */
  run: () => Promise<Measurement>;
}

/** A throughput ratio against an anchor measured in the same run. */
export interface RatioTarget {
  /** Name of the anchor the target is stated against. */
  anchor: string;
  /** Minimum Eventfold / anchor throughput ratio the issue asks for. */
  minRatio: number;
  /** Optional: the reference ('≥ 0.85× raw pg'). */
  label?: string;
}

/**
 * An absolute figure the issue asks for, on Eventfold's own contender: its median throughput, and
 * optionally the median of its rounds' p99 latency (`Measurement.p99Ms`). Machine-dependent by
 * nature: it says whether this machine, today, reached the figure.
 */
export interface RateTarget {
  /** Minimum median operations per second. */
  minPerSec: number;
  /** Maximum median p99 latency in ms; a round without `p99Ms` fails it. */
  maxP99Ms?: number;
  /** The wording ('≥ 300 orders/s with p99 < 500 ms'). */
  label: string;
  /** The contender it checks, by name, when not Eventfold's (a workload whose anchors are Eventfold configurations too). */
  contender?: string;
}

export type Target = RatioTarget | RateTarget;

export interface Workload {
  /** Stable id, e.g. 'postgres.append.single.8conn'. */
  id: string;
  /** One line that says what is measured. */
  description: string;
  /** Unit of an operation, e.g. 'events', 'commands'. */
  unit: string;
  eventfold: Contender;
  anchors: Contender[];
  targets: Target[];
  /** Measured rounds per contender (median taken). Default 5. */
  rounds?: number;
  /** Unmeasured warm-up rounds per contender. Default 1. */
  warmup?: number;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
}

/** A module under bench/workloads exports `workloads()`, which may connect to services lazily. */
export type WorkloadModule = { workloads: () => Promise<Workload[]> | Workload[] };

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function timed(operations: number, fn: () => Promise<unknown>): Promise<Measurement> {
  const started = performance.now();
  await fn();
  return { operations, ms: performance.now() - started };
}

/** Runs `total` calls of `op` over `concurrency` parallel lanes. */
export async function inLanes(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await op(i);
      }
    }),
  );
}

/** A JSON event body of about `bytes` bytes, the same for every contender. */
export function eventData(i: number, bytes = 400): Record<string, unknown> {
  const base = {
    orderId: `order-${i}`,
    customerId: `customer-${i % 97}`,
    amount: (i % 1000) + 0.99,
    currency: 'EUR',
    lines: [{ sku: `sku-${i % 50}`, qty: 1 + (i % 3) }],
  };
  const pad = Math.max(0, bytes - JSON.stringify(base).length - 12);
  return { ...base, note: 'x'.repeat(pad) };
}
