import { fileURLToPath } from 'node:url';
import { foldSaga, type SagaState, toSagaLogEvents } from '@eventfold/core';
import { runChildUntil, seededRandom } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import { createTestPostgresStore, testPostgresUrl } from '../../../../packages/postgres/src/testing/index.js';
import { ledgerOf, readAllEvents } from '../ledger.js';
import type { OrderLine } from '../messages.js';
import { killChildWhen } from './killChildWhen.js';

const script = fileURLToPath(new URL('./sagaRunnerProcess.ts', import.meta.url));
const ORDERS = 200;
const KILLS = 5;

test('200 order sagas, the shipping step failing 20% of the time, the runner process SIGKILLed 5 times: all Completed or Compensated, each effect once', async () => {
  const store = await createTestPostgresStore();
  const seed = Number(process.env.EVENTFOLD_KILL_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const child = { script, args: [testPostgresUrl, store.schema] };
  const undeliverable = new Set<string>();
  let placed = 0;
  const placeWave = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const orderId = `o${++placed}`;
      const address = random() < 0.2 ? 'nowhere' : `${placed} Main St`;
      if (address === 'nowhere') undeliverable.add(orderId);
      const line: OrderLine = { orderId, amount: 100 + Math.floor(random() * 9_000), card: 'visa', sku: placed % 2 === 0 ? 'book' : 'pen', qty: 1, address };
      await store.appendToStream(`order-${orderId}`, [{ type: 'OrderPlaced', data: line }], { expectedVersion: 'no_stream' });
    }
  };
  const sagaStates = async () => {
    const byStream = new Map<string, Parameters<typeof toSagaLogEvents>[0][number][]>();
    for (const event of await readAllEvents(store)) {
      if (event.streamId.startsWith('saga-OrderFulfilment-')) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
    }
    return new Map<string, { state: SagaState; types: string[] }>(
      [...byStream].map(([stream, events]) => [
        stream.slice('saga-OrderFulfilment-'.length),
        { state: foldSaga(toSagaLogEvents(events)), types: events.map((e) => e.type) },
      ]),
    );
  };
  const terminal = (state: SagaState) => state.status === 'Completed' || state.status === 'Compensated';
  try {
    await store.appendToStream('stock-book', [{ type: 'StockAdded', data: { sku: 'book', qty: 1_000 } }]);
    await store.appendToStream('stock-pen', [{ type: 'StockAdded', data: { sku: 'pen', qty: 1_000 } }]);
    // Saga log entries written so far: the kill waits for the process to have done a random amount of real work.
    const count = async (where: string) =>
      Number((await store.pool.query(`SELECT count(*) AS n FROM "${store.schema}".events WHERE ${where}`)).rows[0]?.n ?? 0);
    const sagaEntries = () => count(`stream_id LIKE 'saga-OrderFulfilment-%'`);
    const finished = () => count(`type IN ('SagaCompleted', 'SagaCompensated')`);
    const finishedAtKill: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      await placeWave(ORDERS / KILLS);
      const before = await sagaEntries();
      const work = 50 + Math.floor(random() * 250);
      // The first kills land early in the work; the later ones once some sagas of the new wave have finished, others not.
      const minFinished = kill <= 2 ? 0 : ((kill - 1) * ORDERS) / KILLS + 5;
      await killChildWhen(script, child.args, async () => (await sagaEntries()) >= before + work && (await finished()) >= minFinished);
      finishedAtKill.push([...(await sagaStates()).values()].filter((s) => terminal(s.state)).length);
    }
    // Let a last process finish the work: every saga terminal and every completion command applied.
    await runChildUntil(
      child,
      async () => {
        const states = await sagaStates();
        const done = [...states.values()].filter((s) => terminal(s.state));
        if (done.length < ORDERS) return false;
        const ledger = ledgerOf(await readAllEvents(store));
        const completed = done.filter((s) => s.state.status === 'Completed').length;
        const captured = [...ledger.effects.values()].filter((e) => e.includes('PaymentCaptured') && e.includes('StockShipped')).length;
        return captured === completed;
      },
      { timeoutMs: 240_000 },
    );

    const states = await sagaStates();
    const ledger = ledgerOf(await readAllEvents(store));
    const statuses = [...states.values()].map((s) => s.state.status);
    expect(states.size).toBe(ORDERS);
    expect(
      {
        completed: statuses.filter((s) => s === 'Completed').length,
        compensated: statuses.filter((s) => s === 'Compensated').length,
        stuck: statuses.filter((s) => s !== 'Completed' && s !== 'Compensated').length,
      },
      `seed ${seed}`,
    ).toEqual({
      completed: ORDERS - undeliverable.size,
      compensated: undeliverable.size,
      stuck: 0,
    });
    // Every step and every compensation applied exactly once, in the services and in the saga logs.
    expect(ledger.doubled, `seed ${seed}`).toEqual([]);
    expect(ledger.charged).toBe(ledger.refunded + ledger.captured);
    expect(ledger.reserved).toBe(ledger.released + ledger.shipped);
    for (const [orderId, { state, types }] of states) {
      const effects = [...(ledger.effects.get(orderId) ?? [])].sort();
      if (undeliverable.has(orderId)) {
        expect(state.status, orderId).toBe('Compensated');
        expect(effects, orderId).toEqual(['PaymentCharged', 'PaymentRefunded', 'StockReleased', 'StockReserved']);
        expect(
          types.filter((t) => t === 'SagaCompensationSucceeded'),
          orderId,
        ).toHaveLength(2);
      } else {
        expect(state.status, orderId).toBe('Completed');
        expect(effects, orderId).toEqual(['PaymentCaptured', 'PaymentCharged', 'ShipmentScheduled', 'StockReserved', 'StockShipped']);
        expect(
          types.filter((t) => t === 'SagaStepSucceeded'),
          orderId,
        ).toHaveLength(3);
      }
      expect(
        types.filter((t) => t === 'SagaCompleted' || t === 'SagaCompensated'),
        orderId,
      ).toHaveLength(1);
      expect(state.attempt, orderId).toBe(1); // no step was ever retried: nothing timed out
    }
    // Each kill hit a process in the middle of its work: some sagas finished, others not yet.
    finishedAtKill.forEach((done, i) => {
      expect(done, `finished at kill ${i + 1}: ${finishedAtKill.join(', ')}`).toBeLessThan(((i + 1) * ORDERS) / KILLS);
      if (i >= 2) expect(done).toBeGreaterThan((i * ORDERS) / KILLS);
    });
    console.log(
      `seed ${seed}: ${statuses.filter((s) => s === 'Completed').length} completed, ${undeliverable.size} compensated; finished at each kill: ${finishedAtKill.join(', ')}`,
    );
  } finally {
    await store.close();
  }
});
