/**
 * CPU per order of each process of a distributed shop run (not a benchmark: a measuring tool for A/B
 * comparisons). Starts the four service processes on a fresh schema (distributedRun.ts), optionally
 * drives unmeasured warm-up orders, then drives the measured orders and reads the CPU time of every
 * process on the machine from /proc before and after: the services, the broker, PostgreSQL (every
 * backend, also those opened during the run), this load generator, and the whole machine; for each,
 * the part spent in the kernel and the context switches of its threads.
 *
 *   node --conditions=@eventfold/source --import tsx bench/tools/distributedCpu.ts
 *
 * Environment: ORDERS (900), RATE (300/s, 0 = as fast as possible), WARMUP (3,000 orders, unmeasured),
 * WARMUP_RATE (default RATE, 300/s when RATE is 0: the processes are measured warm, as in the bench),
 * BROKER (kafka | rabbitmq), EVENTS=1 (also print events per order by type),
 * PROFILE=<dir> (write a .cpuprofile per service process). Run A/B comparisons interleaved: the
 * machine's speed drifts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startDistributedRun } from '../../apps/shop/src/distributed/distributedRun.js';
import { driveOrdersThrough } from '../../apps/shop/src/load/driveOrders.js';
import { httpInjector } from '../workloads/shopDistributed.bench.js';
import { closeOnExit } from './closeOnExit.js';

const ORDERS = Number(process.env.ORDERS ?? 900);
const RATE = Number(process.env.RATE ?? 300);
const WARMUP = Number(process.env.WARMUP ?? 3_000);
const WARMUP_RATE = Number(process.env.WARMUP_RATE ?? (RATE > 0 ? RATE : 300));
const BROKER = process.env.BROKER ?? 'kafka';
const TRANSPORT = BROKER === 'rabbitmq' ? 'amqp://guest:guest@127.0.0.1:5672' : 'kafka://127.0.0.1:9092';
const TICKS = 100; // USER_HZ

interface ProcessCpu {
  name: string;
  /** User + system CPU seconds. */
  seconds: number;
  /** System (kernel) CPU seconds. */
  system: number;
  /** Voluntary + involuntary context switches of its threads. */
  switches: number;
}

/** Context switches of a process's threads, from /proc/<pid>/task/<tid>/status. */
function contextSwitches(pid: string): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    for (const m of status.matchAll(/ctxt_switches:\s+(\d+)/g)) total += Number(m[1]);
  }
  return total;
}

/** CPU seconds (user + system, and system alone) and context switches of every process, by pid, with its command name. */
function processCpu(): Map<number, ProcessCpu> {
  const all = new Map<number, ProcessCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(Number(entry), {
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        seconds: (Number(fields[11]) + Number(fields[12])) / TICKS,
        system: Number(fields[12]) / TICKS,
        switches: contextSwitches(entry),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return all;
}

/** Busy CPU seconds of the whole machine (all but idle and iowait). */
function machineCpu(): number {
  const [, user, nice, system, , , irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS;
}

const run = await startDistributedRun({
  postgresUrl: process.env.EVENTFOLD_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  transportUrl: TRANSPORT,
  prefix: 'cpu_tool',
  ...(process.env.PROFILE ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] } : {}),
});
const closeRun = closeOnExit(run.close);
try {
  const injector = httpInjector(run.url);
  if (WARMUP > 0) await driveOrdersThrough(injector, run.feed, { orders: WARMUP, rate: WARMUP_RATE, timeoutMs: 300_000 });
  const services = new Map([...run.processes].map(([service, p]) => [p.child.pid as number, service]));
  const before = processCpu();
  const machineBefore = machineCpu();
  const result = await driveOrdersThrough(injector, run.feed, { orders: ORDERS, rate: RATE, timeoutMs: 300_000 });
  const after = processCpu();
  const machine = machineCpu() - machineBefore;
  const groups = new Map<string, { seconds: number; system: number; switches: number }>();
  for (const [pid, now] of after) {
    const then = before.get(pid);
    const group =
      services.get(pid) ??
      (pid === process.pid ? 'load generator' : now.name === 'java' ? 'broker (java)' : now.name === 'beam.smp' ? 'broker (beam)' : now.name);
    const sum = groups.get(group) ?? { seconds: 0, system: 0, switches: 0 };
    sum.seconds += now.seconds - (then?.seconds ?? 0);
    sum.system += now.system - (then?.system ?? 0);
    sum.switches += now.switches - (then?.switches ?? 0);
    groups.set(group, sum);
  }
  const perOrder = (seconds: number) => ((seconds * 1000) / ORDERS).toFixed(2);
  const { p50, p99 } = result.latencyMs;
  console.log(
    `${ORDERS} orders at ${RATE || 'max'}/s over ${BROKER}: ${result.throughput.toFixed(0)} orders/s (completing at ${result.completionRate.toFixed(0)}/s), p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, ${result.unfinished} unfinished`,
  );
  console.log(`CPU ms per order: machine ${perOrder(machine)}   (of it in the kernel · context switches per order)`);
  for (const [group, { seconds, system, switches }] of [...groups].sort((a, b) => b[1].seconds - a[1].seconds).slice(0, 12)) {
    console.log(`  ${group.padEnd(28)} ${perOrder(seconds).padStart(5)}   (${perOrder(system)} · ${(switches / ORDERS).toFixed(1)})`);
  }
  if (process.env.EVENTS) {
    const { rows } = await run.store.pool.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM ${run.store.schema}.events GROUP BY type ORDER BY 2 DESC`,
    );
    const total = ORDERS + WARMUP;
    console.log(`events per order (all ${total} orders): ${(rows.reduce((a, r) => a + r.n, 0) / total).toFixed(1)}`);
    for (const r of rows) console.log(`  ${r.type.padEnd(28)} ${(r.n / total).toFixed(2)}`);
  }
} finally {
  if (process.env.PROFILE) {
    // Profiles are written when a process exits on a signal it handles.
    for (const p of run.processes.values()) p.child.kill('SIGTERM');
    await Promise.all([...run.processes.values()].map((p) => p.exited));
  }
  await closeRun();
}
