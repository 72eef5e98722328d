/**
 * The shop's configuration, from environment variables, validated at start-up. Every invalid value
 * stops start-up with an InvalidInputError whose path is the variable's name and whose message says
 * the fix.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '@eventfold/core';

export const SERVICES = ['orders', 'payments', 'inventory', 'shipping'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type SagaStyle = 'orchestration' | 'choreography';

export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string } | { kind: 'memory' };
export type TransportConfig = { kind: 'inproc' } | { kind: 'kafka'; brokers: string[] } | { kind: 'rabbitmq'; url: string };

export interface ShopConfig {
  store: StoreConfig;
  transport: TransportConfig;
  sagaStyle: SagaStyle;
  services: ServiceName[];
  /** Serve the HTTP API from this process. */
  http: boolean;
  host: string;
  port: number;
  adminToken: string;
  /** True when SHOP_ADMIN_TOKEN was not set and a random token was made for this run. */
  adminTokenGenerated: boolean;
  seedCatalogue: boolean;
  /** Prefix of destinations and consumer groups (`<namespace>.orders`, …): several shops can share one broker. */
  namespace: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

function fail(variable: string, message: string): never {
  throw new InvalidInputError(variable, message, { variable });
}

function parseStore(value: string): StoreConfig {
  if (value === 'memory:') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    if (path.length === 0) fail('EVENTFOLD_STORE', 'sqlite: needs a file path, e.g. EVENTFOLD_STORE=sqlite:./data/shop.db.');
    return { kind: 'sqlite', path };
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      fail('EVENTFOLD_STORE', `"${value}" is not a valid URL; use e.g. postgres://postgres@127.0.0.1:5432/shop.`);
    }
    if (!url.hostname) fail('EVENTFOLD_STORE', 'the PostgreSQL URL needs a host, e.g. postgres://postgres@127.0.0.1:5432/shop.');
    const schema = url.searchParams.get('schema') ?? 'shop';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) fail('EVENTFOLD_STORE', `schema "${schema}" must be a lower-case SQL identifier, e.g. ?schema=shop.`);
    url.searchParams.delete('schema');
    return { kind: 'postgres', url: url.toString(), schema };
  }
  return fail('EVENTFOLD_STORE', `"${value}" is not a store URL. Use sqlite:./data/shop.db (default), postgres://user@host:5432/db or memory:.`);
}

function parseTransport(value: string): TransportConfig {
  if (value === 'inproc:') return { kind: 'inproc' };
  if (value.startsWith('kafka://')) {
    const brokers = value
      .slice('kafka://'.length)
      .split(',')
      .filter((b) => b.length > 0);
    if (brokers.length === 0 || brokers.some((b) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b))) {
      fail('EVENTFOLD_TRANSPORT', `"${value}" must list host:port brokers, e.g. kafka://127.0.0.1:9092.`);
    }
    return { kind: 'kafka', brokers };
  }
  if (value.startsWith('amqp://') || value.startsWith('amqps://')) {
    try {
      if (!new URL(value).hostname) throw new Error('no host');
    } catch {
      fail('EVENTFOLD_TRANSPORT', `"${value}" is not a valid AMQP URL; use e.g. amqp://guest:guest@127.0.0.1:5672.`);
    }
    return { kind: 'rabbitmq', url: value };
  }
  return fail('EVENTFOLD_TRANSPORT', `"${value}" is not a transport URL. Use inproc: (default), kafka://127.0.0.1:9092 or amqp://guest:guest@127.0.0.1:5672.`);
}

function parseBoolean(variable: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  return fail(variable, `"${value}" is not a boolean; use true or false.`);
}

/**
 * @example
 * const config = loadConfig(process.env); // throws InvalidInputError naming the variable on bad input
 */
export function loadConfig(env: Env): ShopConfig {
  const store = parseStore(env.EVENTFOLD_STORE || 'sqlite:./data/shop.db');
  const transport = parseTransport(env.EVENTFOLD_TRANSPORT || 'inproc:');

  const sagaStyle = env.SHOP_SAGA_STYLE || 'orchestration';
  if (sagaStyle !== 'orchestration' && sagaStyle !== 'choreography') {
    fail('SHOP_SAGA_STYLE', `"${sagaStyle}" is not a saga style; use orchestration (default) or choreography.`);
  }

  const serviceList = env.SHOP_SERVICES || 'all';
  const services =
    serviceList === 'all'
      ? [...SERVICES]
      : serviceList.split(',').map((s) => {
          const name = s.trim();
          if (!(SERVICES as readonly string[]).includes(name)) {
            fail('SHOP_SERVICES', `"${name}" is not a service; list some of ${SERVICES.join(', ')} separated by commas, or write all.`);
          }
          return name as ServiceName;
        });
  if (new Set(services).size !== services.length) fail('SHOP_SERVICES', 'lists a service twice; name each service once.');

  if (store.kind !== 'postgres' && services.length < SERVICES.length) {
    fail('SHOP_SERVICES', 'runs only some services, which needs a store shared by processes; set EVENTFOLD_STORE=postgres://… or run all.');
  }
  if (store.kind === 'memory' && transport.kind !== 'inproc') {
    fail('EVENTFOLD_TRANSPORT', 'a broker with the memory: store cannot work across processes; use inproc: with memory:, or a postgres:// store.');
  }

  const portText = env.SHOP_PORT || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) fail('SHOP_PORT', `"${portText}" is not a port; use a whole number from 0 to 65535 (0 picks a free one).`);

  const host = env.SHOP_HOST || 'localhost';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) fail('SHOP_HOST', `"${host}" is not a host name or address; use e.g. localhost or 0.0.0.0.`);

  let adminToken = env.SHOP_ADMIN_TOKEN ?? '';
  const adminTokenGenerated = adminToken === '';
  if (adminTokenGenerated) adminToken = randomBytes(18).toString('base64url');
  else if (adminToken.length < 16 || !/^[\x21-\x7e]+$/.test(adminToken)) {
    fail('SHOP_ADMIN_TOKEN', 'must be at least 16 printable characters without spaces; generate one with `openssl rand -hex 16`.');
  }

  const namespace = env.SHOP_NAMESPACE || 'shop';
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(namespace))
    fail('SHOP_NAMESPACE', `"${namespace}" must be 1–41 lower-case letters, digits or '-', starting with a letter, e.g. shop.`);

  return {
    namespace,
    store,
    transport,
    sagaStyle,
    services,
    http: parseBoolean('SHOP_HTTP', env.SHOP_HTTP, services.includes('orders')),
    host,
    port,
    adminToken,
    adminTokenGenerated,
    seedCatalogue: parseBoolean('SHOP_SEED', env.SHOP_SEED, true),
  };
}
