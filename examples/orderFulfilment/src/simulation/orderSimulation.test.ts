import { defineSaga } from '@eventfold/core';
import { simulateSagas } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import { defineOrderFulfilment } from '../orchestration/orderFulfilmentSaga.js';
import { orderWorld, SIMULATION_TIMEOUTS } from './orderWorld.js';

const SEEDS = Number(process.env.EVENTFOLD_SIM_SEEDS ?? 1_000);
const FIRST = Number(process.env.EVENTFOLD_SIM_FIRST_SEED ?? 1);

test(`simulation: ${SEEDS} seeds with 5% duplicated, 5% reordered and 1% crash events keep every invariant`, async () => {
  const failures: string[] = [];
  const totals = { duplicated: 0, reordered: 0, delayed: 0, crashes: 0, steps: 0, completed: 0, compensated: 0 };
  for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
    const result = await simulateSagas({ ...orderWorld(seed), faults: { duplicate: 0.05, reorder: 0.05, crash: 0.01 } });
    if (result.violations.length > 0)
      failures.push(`seed ${seed} (replay: EVENTFOLD_SIM_FIRST_SEED=${seed} EVENTFOLD_SIM_SEEDS=1): ${result.violations.join('; ')}`);
    for (const key of ['duplicated', 'reordered', 'delayed', 'crashes'] as const) totals[key] += result.faults[key];
    totals.steps += result.steps;
    for (const state of result.sagas.values()) {
      if (state.status === 'Completed') totals.completed++;
      if (state.status === 'Compensated') totals.compensated++;
    }
  }
  console.log(`simulation over ${SEEDS} seeds:`, totals);
  expect(failures).toEqual([]);
  // The faults really happened, and both endings were reached.
  expect(totals.duplicated).toBeGreaterThan(SEEDS);
  expect(totals.reordered).toBeGreaterThan(SEEDS / 2);
  expect(totals.crashes).toBeGreaterThan(SEEDS / 10);
  expect(totals.completed).toBeGreaterThan(0);
  expect(totals.compensated).toBeGreaterThan(0);
});

test('a seed replays exactly', async () => {
  const a = await simulateSagas(orderWorld(4242));
  const b = await simulateSagas(orderWorld(4242));
  expect(a.digest).toBe(b.digest);
  expect(a.faults).toEqual(b.faults);
  expect(a.steps).toBe(b.steps);
  const c = await simulateSagas(orderWorld(4243));
  expect(c.digest).not.toBe(a.digest);
});

test('the harness catches a broken saga: without the refund compensation, money goes missing on some seed', async () => {
  const correct = defineOrderFulfilment(SIMULATION_TIMEOUTS);
  const broken = defineSaga({ ...correct, steps: correct.steps.map((s) => (s.name === 'payment' ? { ...s, compensation: undefined } : s)) });
  let found: string[] = [];
  for (let seed = 1; seed <= 200 && found.length === 0; seed++) found = (await simulateSagas(orderWorld(seed, { saga: broken }))).violations;
  expect(found.join('; ')).toMatch(/money: charged \d+ ≠ refunded/);
});
