/**
 * `npm run bench [-- --filter <substring>] [--rounds N]`: runs every workload in bench/workloads,
 * prints Eventfold's figure, each anchor's figure from the same run and the ratio, and writes
 * bench/results/latest.json (plus a dated copy).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Contender, median, type Target, type Workload, type WorkloadModule } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { filter: { type: 'string' }, rounds: { type: 'string' } } });

interface ContenderResult {
  name: string;
  opsPerSec: number;
  rounds: number[];
  /** Median of the rounds' p99 latency, when the workload measures it. */
  p99Ms?: number;
  p99Rounds?: number[];
}

interface Rounds {
  rates: number[];
  p99s: number[];
}

async function measure(contenders: Contender[], rounds: number, warmup: number): Promise<Map<string, Rounds>> {
  const results = new Map<string, Rounds>(contenders.map((c) => [c.name, { rates: [], p99s: [] }]));
  for (let w = 0; w < warmup; w++) for (const c of contenders) await c.run();
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no contender always runs first (cache warmth, autovacuum…).
    const order = contenders.map((_, i) => contenders[(i + r) % contenders.length] as Contender);
    for (const c of order) {
      const m = await c.run();
      const sink = results.get(c.name);
      sink?.rates.push((m.operations * 1000) / m.ms);
      if (m.p99Ms !== undefined) sink?.p99s.push(m.p99Ms);
    }
  }
  return results;
}

/** Whether Eventfold's result (or the target's named contender's) meets a target, with the figure to print beside it. */
function checkTarget(
  t: Target,
  ef: ContenderResult,
  results: ContenderResult[],
  unit: string,
): { label: string; figure: string; met: boolean; ratio?: number } {
  if ('anchor' in t) {
    const anchor = results.find((r) => r.name === t.anchor);
    const ratio = anchor ? ef.opsPerSec / anchor.opsPerSec : Number.NaN;
    return { label: t.label ?? `≥ ${t.minRatio}× ${t.anchor}`, figure: `${ratio.toFixed(2)}×`, met: ratio >= t.minRatio, ratio };
  }
  const who = t.contender === undefined ? ef : results.find((r) => r.name === t.contender);
  if (who === undefined) return { label: t.label, figure: `"${t.contender}" was not measured —`, met: false };
  const fastEnough = who.opsPerSec >= t.minPerSec;
  const quickEnough = t.maxP99Ms === undefined || (who.p99Ms !== undefined && who.p99Ms < t.maxP99Ms);
  const p99 = t.maxP99Ms === undefined ? '' : `, p99 ${who.p99Ms === undefined ? 'not measured' : `${fmt(who.p99Ms)} ms`}`;
  return { label: t.label, figure: `${fmt(who.opsPerSec)} ${unit}/s${p99} on this machine —`, met: fastEnough && quickEnough };
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

async function main(): Promise<void> {
  const files = readdirSync(join(here, 'workloads'))
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const report: Array<Record<string, unknown>> = [];
  let failures = 0;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, 'workloads', file)).href)) as WorkloadModule;
    const workloads: Workload[] = (await mod.workloads()).filter((w) => !values.filter || w.id.includes(values.filter));
    for (const w of workloads) {
      const rounds = values.rounds ? Number(values.rounds) : (w.rounds ?? 5);
      process.stdout.write(`\n${w.id} — ${w.description}\n`);
      await w.setup?.();
      try {
        const raw = await measure([w.eventfold, ...w.anchors], rounds, w.warmup ?? 1);
        const results: ContenderResult[] = [...raw].map(([name, r]) => ({
          name,
          opsPerSec: median(r.rates),
          rounds: r.rates,
          ...(r.p99s.length > 0 ? { p99Ms: median(r.p99s), p99Rounds: r.p99s } : {}),
        }));
        const ef = results[0] as ContenderResult;
        for (const r of results) {
          const ratio = r === ef ? '' : `  Eventfold/this = ${(ef.opsPerSec / r.opsPerSec).toFixed(2)}×`;
          const p99 = r.p99Ms === undefined ? '' : `, p99 ${fmt(r.p99Ms)} ms (median)`;
          process.stdout.write(`  ${r.name.padEnd(42)} ${fmt(r.opsPerSec).padStart(12)} ${w.unit}/s (median of ${rounds})${p99}${ratio}\n`);
        }
        const targets = w.targets.map((t) => {
          const checked = checkTarget(t, ef, results, w.unit);
          if (!checked.met) failures += 1;
          process.stdout.write(`  target ${checked.label}: ${checked.figure} ${checked.met ? 'met' : 'NOT MET'}\n`);
          return { ...t, ...checked };
        });
        report.push({ id: w.id, description: w.description, unit: w.unit, results, targets });
      } finally {
        await w.teardown?.();
      }
    }
  }
  const out = { at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, workloads: report };
  mkdirSync(join(here, 'results'), { recursive: true });
  const name = values.filter ? `latest-${values.filter.replace(/[^a-z0-9.-]/gi, '_')}.json` : 'latest.json';
  writeFileSync(join(here, 'results', name), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\nwrote bench/results/${name}; ${failures === 0 ? 'all targets met' : `${failures} target(s) not met`}\n`);
}

await main();
