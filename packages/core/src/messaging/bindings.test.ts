import { describe, expect, it } from 'vitest';
import { type InvalidInputError, isEventfoldError } from '../errors.js';
import { type BindingConfig, defineBindings, requireGroup } from './bindings.js';

function pathOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isEventfoldError(error, 'EVENTFOLD_INVALID_INPUT')).toBe(true);
    return (error as InvalidInputError).path;
  }
  throw new Error('expected an InvalidInputError');
}

describe('defineBindings', () => {
  it('names each binding, fills the content type and freezes the result', () => {
    const bindings = defineBindings({
      ordersOut: { binder: 'kafka', destination: 'shop.orders', kafka: { partitions: 6, compression: 'lz4' } },
      ordersIn: { binder: 'rabbitmq', destination: 'shop.orders', group: 'billing', rabbitmq: { exchangeType: 'topic', queueType: 'quorum' } },
    });
    expect(bindings.ordersOut).toMatchObject({ name: 'ordersOut', contentType: 'application/json', destination: 'shop.orders' });
    expect(bindings.ordersIn.group).toBe('billing');
    expect(Object.isFrozen(bindings) && Object.isFrozen(bindings.ordersIn)).toBe(true);
    expect(requireGroup(bindings.ordersIn)).toBe('billing');
    expect(pathOf(() => requireGroup(bindings.ordersOut))).toBe('bindings.ordersOut.group');
  });

  it.each<[string, Partial<BindingConfig>, string]>([
    ['no binder', { binder: '' }, 'bindings.b.binder'],
    ['a destination with spaces', { destination: 'my topic' }, 'bindings.b.destination'],
    ['a bad group', { group: 'a/b' }, 'bindings.b.group'],
    ['a content type without a slash', { contentType: 'json' }, 'bindings.b.contentType'],
    ['zero concurrency', { consumer: { concurrency: 0 } }, 'bindings.b.consumer.concurrency'],
    ['fractional partitions', { kafka: { partitions: 1.5 } }, 'bindings.b.kafka.partitions'],
    ['priority 300', { rabbitmq: { queueType: 'classic', maxPriority: 300 } }, 'bindings.b.rabbitmq.maxPriority'],
    ['priorities on a quorum queue', { rabbitmq: { queueType: 'quorum', maxPriority: 5 } }, 'bindings.b.rabbitmq.maxPriority'],
  ])('rejects %s', (_label, override, path) => {
    expect(pathOf(() => defineBindings({ b: { binder: 'memory', destination: 'd', ...override } }))).toBe(path);
  });
});
