/**
 * The shop's fulfilment saga in the deterministic saga simulation (`simulateSagas`): the real saga
 * definition and the real services over an in-memory store, commands duplicated, reordered and
 * delayed (past their timeouts), the runner crashed — and cancellations that land while a step is
 * out. Every order must end terminal and consistent with its payment, reservation and shipment, stock
 * must balance, and every saga must end Completed or Compensated.
 */
import { type DeliveredSagaCommand, defineSaga, runInMessageContext } from '@eventfold/core';
import { type SimulationContext, simulateSagas } from '@eventfold/core/testing';
import { expect, test } from 'vitest';
import type { IntegrationEvents } from '../contracts/integrationEvents.js';
import { SEED_CATALOGUE } from '../inventory/catalogue.js';
import { createShopServices, type ShopServices } from '../shopServices.js';
import { checkInvariants } from '../testing/checkInvariants.js';
import { ADDRESS } from '../testing/createTestShop.js';
import { fulfilmentSaga } from './fulfilmentSaga.js';

const SEEDS = Number(process.env.SHOP_SIM_SEEDS ?? 200);
const ORDERS = 8;
const SKUS = SEED_CATALOGUE.map((i) => i.sku);

/** Orders i with i % 4 === 1 are cancelled when the command of this step reaches its service. */
const CANCEL_ON: Record<number, string> = {
  1: 'FulfilmentPaymentRequested',
  5: 'FulfilmentStockRequested',
};

function world(seed: number, saga = fulfilmentSaga) {
  const byStore = new WeakMap<object, ShopServices>();
  const services = (context: SimulationContext) => {
    let s = byStore.get(context.store);
    if (!s) {
      s = createShopServices(context.store);
      byStore.set(context.store, s);
    }
    return s;
  };
  const orderIds = Array.from({ length: ORDERS }, (_, i) => `s${seed}-o${i}`);
  return {
    seed,
    saga,
    async setup(context: SimulationContext) {
      const { inventory, orders } = services(context);
      for (const item of SEED_CATALOGUE) await inventory.list({ ...item, quantity: item.sku === 'LTD-001' ? 2 : item.quantity });
      for (const [i, orderId] of orderIds.entries()) {
        const lines = [{ sku: i % 3 === 0 ? 'LTD-001' : 'TEA-001', quantity: 1 }];
        const paymentToken = i % 7 === 3 ? 'tok_declined' : 'tok_visa';
        await runInMessageContext({ messageId: orderId, correlationId: orderId, causationId: undefined, headers: {} }, () =>
          orders.place({ orderId, customerId: `c${i}`, lines, shippingAddress: ADDRESS, paymentToken }, context.clock.now()),
        );
        if (i % 4 === 3) await orders.cancel(orderId, 'changed my mind'); // cancelled before the saga even starts
      }
    },
    async handleCommand(command: DeliveredSagaCommand, context: SimulationContext) {
      const { orders, payments, inventory, shipping } = services(context);
      const d = command.data as { orderId: string };
      const index = orderIds.indexOf(d.orderId);
      if (CANCEL_ON[index % 8] === command.type) await orders.cancel(d.orderId, 'changed my mind').catch(() => undefined);
      const now = context.clock.now();
      switch (command.type as keyof IntegrationEvents) {
        case 'FulfilmentPaymentRequested':
          return payments.authorize(command.data as IntegrationEvents['FulfilmentPaymentRequested']);
        case 'FulfilmentCaptureRequested':
          return payments.capture(d.orderId);
        case 'FulfilmentPaymentVoidRequested':
          return payments.void(d.orderId, 'compensated');
        case 'FulfilmentStockRequested':
          return inventory.reserve(d.orderId, (command.data as IntegrationEvents['FulfilmentStockRequested']).lines);
        case 'FulfilmentStockCommitRequested':
          return inventory.commit(d.orderId);
        case 'FulfilmentStockReleaseRequested':
          return inventory.release(d.orderId, 'compensated');
        case 'FulfilmentShipmentRequested':
          return shipping.schedule(command.data as IntegrationEvents['FulfilmentShipmentRequested'], now);
        case 'FulfilmentShipmentCancelRequested':
          return shipping.cancel(d.orderId, 'compensated');
        case 'FulfilmentOrderCompletionRequested':
          return orders.complete(d.orderId);
        case 'FulfilmentOrderRejectionRequested':
          return orders.reject(d.orderId, (command.data as IntegrationEvents['FulfilmentOrderRejectionRequested']).reason);
        default:
          throw new Error(`no service handles ${command.type}`);
      }
    },
    async invariants(context: SimulationContext & { sagas: Map<string, { status: string }> }) {
      const report = await checkInvariants(services(context), orderIds, SKUS);
      const unfinished = [...context.sagas].filter(([, s]) => s.status !== 'Completed' && s.status !== 'Compensated').map(([id, s]) => `${id}: ${s.status}`);
      return [...report.violations, ...unfinished.map((u) => `saga not finished: ${u}`)];
    },
  };
}

test(`simulation: ${SEEDS} seeds with duplicated, reordered and delayed commands, crashes and cancellations mid-step keep the shop's invariants`, async () => {
  const failures: string[] = [];
  const totals = { duplicated: 0, reordered: 0, delayed: 0, crashes: 0, completed: 0, compensated: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = await simulateSagas({ ...world(seed), faults: { duplicate: 0.05, reorder: 0.05, crash: 0.01, delay: 0.05, maxDelayMs: 90_000 } });
    if (result.violations.length > 0) failures.push(`seed ${seed}: ${result.violations.join('; ')}`);
    for (const key of ['duplicated', 'reordered', 'delayed', 'crashes'] as const) totals[key] += result.faults[key];
    for (const state of result.sagas.values()) {
      if (state.status === 'Completed') totals.completed++;
      if (state.status === 'Compensated') totals.compensated++;
    }
  }
  expect(failures).toEqual([]);
  expect(totals.duplicated).toBeGreaterThan(0);
  expect(totals.delayed).toBeGreaterThan(0);
  expect(totals.crashes).toBeGreaterThan(0);
  expect(totals.completed).toBeGreaterThan(0);
  expect(totals.compensated).toBeGreaterThan(0);
}, 120_000);

test('without compensateStep a cancellation leaks the step in flight: the simulation shows it on the first seed', async () => {
  const leaky = defineSaga({
    ...fulfilmentSaga,
    steps: fulfilmentSaga.steps.map((s) => ({ ...s, replies: { ...s.replies, OrderCancelled: () => ({ outcome: 'fail' as const, reason: 'cancelled' }) } })),
  });
  const result = await simulateSagas(world(1, leaky));
  expect(result.violations.join('; ')).toMatch(/\(cancelled\): (payment still authorized|reservation still confirmed)/);
});
