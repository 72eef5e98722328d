/**
 * The shop's money and stock invariants, checked against the event streams themselves (not the read
 * models): every order terminal, each outcome consistent with its payment, reservation and shipment,
 * and per SKU: received = available + reserved + shipped with nothing left reserved.
 */
import type { ShopServices } from '../shopServices.js';

export interface InvariantReport {
  outcomes: Record<string, number>;
  violations: string[];
}

export async function checkInvariants(services: ShopServices, orderIds: readonly string[], skus: readonly string[]): Promise<InvariantReport> {
  const { orders, payments, reservations, shipments, stock } = services.repositories;
  const outcomes: Record<string, number> = {};
  const violations: string[] = [];
  const shippedBySku = new Map<string, number>();
  for (const orderId of orderIds) {
    const order = (await orders.load(orderId)).state;
    const payment = (await payments.load(orderId)).state;
    const reservation = (await reservations.load(orderId)).state;
    const shipment = (await shipments.load(orderId)).state;
    const outcome = order.status === 'rejected' ? `rejected:${order.reason}` : order.status;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const bad = (what: string) => violations.push(`${orderId} (${outcome}): ${what}`);
    if (!['completed', 'rejected', 'cancelled'].includes(order.status)) bad('not terminal');
    if (order.status === 'completed') {
      if (payment.status !== 'captured' || payment.amount !== order.total) bad(`payment ${payment.status} ${payment.amount} ≠ captured ${order.total}`);
      if (reservation.status !== 'committed') bad(`reservation ${reservation.status}, expected committed`);
      if (shipment.status !== 'scheduled') bad(`shipment ${shipment.status}, expected scheduled`);
      for (const line of reservation.lines) shippedBySku.set(line.sku, (shippedBySku.get(line.sku) ?? 0) + line.quantity);
    } else {
      if (payment.status === 'captured' || payment.status === 'authorized') bad(`payment still ${payment.status}`);
      if (reservation.status === 'confirmed' || reservation.status === 'committed') bad(`reservation still ${reservation.status}`);
      if (shipment.status === 'scheduled') bad('shipment still scheduled');
      if (order.reason === 'payment_declined' && payment.status !== 'declined') bad(`payment ${payment.status}, expected declined`);
      if (order.reason === 'out_of_stock' && reservation.status !== 'rejected' && reservation.status !== 'released') bad(`reservation ${reservation.status}`);
    }
  }
  for (const sku of skus) {
    const s = (await stock.load(sku)).state;
    const reserved = s.reserved.reduce((a, b) => a + b, 0);
    if (s.received !== s.available + reserved + s.shipped)
      violations.push(`${sku}: received ${s.received} ≠ available ${s.available} + reserved ${reserved} + shipped ${s.shipped}`);
    if (reserved !== 0) violations.push(`${sku}: ${reserved} units still reserved by ${[...s.reserved.keys()].join(', ')}`);
    if (s.available < 0) violations.push(`${sku}: available ${s.available} < 0`);
  }
  return { outcomes, violations };
}

/**
 * Checks until the invariants hold or `timeoutMs` passes (the last messages of a run may still be
 * settling), and returns the last report: assert on its `violations`.
 */
export async function settledInvariants(
  services: ShopServices,
  orderIds: readonly string[],
  skus: readonly string[],
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<InvariantReport> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const report = await checkInvariants(services, orderIds, skus);
    if (report.violations.length === 0 || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
