import { defineBinding } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { consumerTopology, exchangeTopology, namesOf, routingKeyOf } from './bindingTopology.js';

const binding = (rabbitmq: Parameters<typeof defineBinding>[1]['rabbitmq'] = {}, group: string | null = 'billing') =>
  defineBinding('b', { binder: 'rabbitmq', destination: 'shop.orders', ...(group ? { group } : {}), rabbitmq });

describe('binding topology', () => {
  it('names the group queue, its retry queues and its DLQ after destination and group', () => {
    const names = namesOf(binding());
    expect(names).toMatchObject({
      exchange: 'shop.orders',
      exchangeType: 'topic',
      queue: 'shop.orders.billing',
      dlq: 'shop.orders.billing.dlq',
      retryReady: 'shop.orders.billing.retry',
    });
    expect(names.retryQueue(2)).toBe('shop.orders.billing.retry.2');
  });

  it('declares a quorum queue with the DLQ as dead-letter target, TTL delay queues per attempt and a # binding by default', () => {
    const spec = consumerTopology(binding(), 3);
    expect(spec.exchanges).toEqual([{ name: 'shop.orders', type: 'topic' }]);
    expect(spec.queues.map((q) => q.name)).toEqual([
      'shop.orders.billing',
      'shop.orders.billing.dlq',
      'shop.orders.billing.retry',
      'shop.orders.billing.retry.1',
      'shop.orders.billing.retry.2',
    ]);
    expect(spec.queues[0]?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'shop.orders.billing.dlq',
    });
    expect(spec.queues[3]?.arguments).toEqual({
      'x-queue-type': 'classic',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'shop.orders.billing.retry',
    });
    expect(spec.bindings).toEqual([{ queue: 'shop.orders.billing', exchange: 'shop.orders', pattern: '#' }]);
  });

  it('has no retry queues when one attempt is all there is', () => {
    expect(consumerTopology(binding(), 1).queues.map((q) => q.name)).toEqual(['shop.orders.billing', 'shop.orders.billing.dlq']);
  });

  it('maps priorities, single active consumer, binding keys and header arguments', () => {
    const prio = consumerTopology(
      binding({ queueType: 'classic', maxPriority: 9, singleActiveConsumer: true, exchangeType: 'direct', bindingKeys: ['eu', 'us'] }),
      2,
    );
    expect(prio.queues[0]?.arguments).toMatchObject({ 'x-queue-type': 'classic', 'x-max-priority': 9, 'x-single-active-consumer': true });
    expect(prio.bindings.map((b) => b.pattern)).toEqual(['eu', 'us']);
    const headers = consumerTopology(binding({ exchangeType: 'headers', bindingArguments: { 'x-match': 'any', region: 'eu' } }), 1);
    expect(headers.bindings).toEqual([{ queue: 'shop.orders.billing', exchange: 'shop.orders', pattern: '', arguments: { 'x-match': 'any', region: 'eu' } }]);
    expect(consumerTopology(binding({ exchangeType: 'direct' }), 1).bindings[0]?.pattern).toBe('billing');
    expect(consumerTopology(binding({ exchangeType: 'fanout', bindingKeys: ['ignored'] }), 1).bindings[0]?.pattern).toBe('');
  });

  it('rejects what RabbitMQ 3.10 cannot do, naming the fix', () => {
    expect(() => consumerTopology(binding({ maxPriority: 5 }), 1)).toThrow(/needs queueType 'classic'/);
    expect(() => consumerTopology(binding({ exchangeType: 'headers' }), 1)).toThrow(/bindingArguments/);
    expect(() => exchangeTopology(defineBinding('x', { binder: 'rabbitmq', destination: 'amq.topic' }))).toThrow(/reserved/);
    expect(() => namesOf(binding({}, null))).toThrow(/group/);
  });

  it('routes by message type unless the binding says otherwise', () => {
    const m = { type: 'OrderPlaced', key: 'order-1', headers: { region: 'eu' } };
    expect(routingKeyOf(binding(), m)).toBe('OrderPlaced');
    expect(routingKeyOf(binding({ routingKey: 'fixed' }), m)).toBe('fixed');
    expect(routingKeyOf(binding({ routingKey: (x) => `${x.headers.region}.${x.type}` }), m)).toBe('eu.OrderPlaced');
  });
});
