import { describe, expect, test } from 'vitest';
import { loadConfig } from './loadConfig.js';

describe('shop configuration from the environment', () => {
  test('defaults: SQLite under ./data, in-process transport, orchestration, all services, API on 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      store: { kind: 'sqlite', path: './data/shop.db' },
      transport: { kind: 'inproc' },
      sagaStyle: 'orchestration',
      services: ['orders', 'payments', 'inventory', 'shipping'],
      http: true,
      port: 3000,
      adminTokenGenerated: true,
    });
    expect(config.adminToken.length).toBeGreaterThanOrEqual(16);
  });

  test('distributed settings', () => {
    const config = loadConfig({
      EVENTFOLD_STORE: 'postgres://postgres@127.0.0.1:5432/test?schema=shop_a',
      EVENTFOLD_TRANSPORT: 'kafka://127.0.0.1:9092',
      SHOP_SERVICES: 'payments',
      SHOP_SAGA_STYLE: 'choreography',
      SHOP_ADMIN_TOKEN: 'a-very-secret-token-123',
    });
    expect(config).toMatchObject({
      store: { kind: 'postgres', schema: 'shop_a' },
      transport: { kind: 'kafka', brokers: ['127.0.0.1:9092'] },
      services: ['payments'],
      sagaStyle: 'choreography',
      http: false,
      adminTokenGenerated: false,
    });
    expect(loadConfig({ EVENTFOLD_TRANSPORT: 'amqp://guest:guest@127.0.0.1:5672' }).transport).toEqual({
      kind: 'rabbitmq',
      url: 'amqp://guest:guest@127.0.0.1:5672',
    });
  });

  test.each([
    [{ EVENTFOLD_STORE: 'mysql://x' }, 'EVENTFOLD_STORE', 'sqlite:./data/shop.db'],
    [{ EVENTFOLD_STORE: 'sqlite:' }, 'EVENTFOLD_STORE', 'file path'],
    [{ EVENTFOLD_TRANSPORT: 'nats://x' }, 'EVENTFOLD_TRANSPORT', 'kafka://127.0.0.1:9092'],
    [{ EVENTFOLD_TRANSPORT: 'kafka://' }, 'EVENTFOLD_TRANSPORT', 'host:port'],
    [{ SHOP_SAGA_STYLE: 'both' }, 'SHOP_SAGA_STYLE', 'orchestration'],
    [{ SHOP_SERVICES: 'orders,billing' }, 'SHOP_SERVICES', 'orders, payments, inventory, shipping'],
    [{ SHOP_SERVICES: 'orders' }, 'SHOP_SERVICES', 'postgres://'],
    [{ SHOP_PORT: 'eighty' }, 'SHOP_PORT', 'whole number'],
    [{ SHOP_ADMIN_TOKEN: 'short' }, 'SHOP_ADMIN_TOKEN', 'openssl rand'],
    [{ SHOP_HTTP: 'maybe' }, 'SHOP_HTTP', 'true or false'],
    [{ EVENTFOLD_STORE: 'memory:', EVENTFOLD_TRANSPORT: 'kafka://127.0.0.1:9092' }, 'EVENTFOLD_TRANSPORT', 'inproc:'],
  ])('%o is refused, naming %s and the fix', (env, variable, fix) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'EVENTFOLD_INVALID_INPUT', path: variable });
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).toContain(fix);
  });
});
