import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { checkEventNames } from './checkEventNames.js';

describe('checkEventNames', () => {
  test('accepts AggregateName + past participle, including irregular participles', () => {
    expect(checkEventNames([{ aggregate: 'Order', eventTypes: ['OrderPlaced', 'OrderShipped', 'OrderPaid', 'OrderItemAdded', 'OrderWithdrawn'] }])).toEqual([]);
    expect(checkEventNames([{ aggregate: 'BankAccount', eventTypes: ['AccountOpened', 'BankAccountClosed'] }])).toEqual([]);
  });

  test('flags types that read as commands and suggests the fact', () => {
    const [violation] = checkEventNames([{ aggregate: 'Order', eventTypes: ['PlaceOrder'] }]);
    expect(violation).toMatchObject({ rule: 'reads-as-command' });
    expect(violation?.message).toContain('OrderPlaced');
    expect(checkEventNames([{ eventTypes: ['ShipOrder', 'CancelPayment', 'AddItem'] }]).map((v) => v.rule)).toEqual([
      'reads-as-command',
      'reads-as-command',
      'reads-as-command',
    ]);
  });

  test('flags other shapes', () => {
    expect(checkEventNames([{ aggregate: 'Order', eventTypes: ['order_placed', 'InvoiceTotal', 'Shipped'] }]).map((v) => v.rule)).toEqual([
      'pascal-case',
      'not-past-participle',
      'missing-aggregate-prefix',
    ]);
  });

  test('the bin script fails CI on a violation', () => {
    const bin = ['--conditions=@eventfold/source', '--import', 'tsx', 'packages/core/src/eventsourcing/checkEventNames.bin.ts'];
    expect(execFileSync('node', [...bin, '--types', 'OrderPlaced', '--aggregate', 'Order'], { encoding: 'utf8' })).toContain('0 violation(s)');
    const failure = (() => {
      try {
        execFileSync('node', [...bin, '--types', 'PlaceOrder'], { encoding: 'utf8', stdio: 'pipe' });
        return undefined;
      } catch (error) {
        return error as { status: number; stderr: string };
      }
    })();
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('reads as a command');
  });
});
