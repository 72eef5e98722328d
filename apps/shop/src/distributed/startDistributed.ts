/**
 * Distributed mode on one machine: each service in its own process on a shared PostgreSQL store and a
 * broker. `npm run distributed -w @eventfold/shop` (see docs/shop.md). Defaults: PostgreSQL at
 * 127.0.0.1:5432 (schema `shop`) and RabbitMQ at 127.0.0.1:5672; set EVENTFOLD_TRANSPORT=kafka://127.0.0.1:9092
 * for Kafka. Inventory starts first (it seeds the catalogue), then the others; Ctrl-C stops all.
 */
import { SERVICES, type ServiceName } from '../config/loadConfig.js';
import { type ServiceProcess, spawnService } from './spawnService.js';

const env: Record<string, string> = {
  EVENTFOLD_STORE: process.env.EVENTFOLD_STORE || 'postgres://postgres@127.0.0.1:5432/postgres?schema=shop',
  EVENTFOLD_TRANSPORT: process.env.EVENTFOLD_TRANSPORT || 'amqp://guest:guest@127.0.0.1:5672',
};
const order: ServiceName[] = ['inventory', ...SERVICES.filter((s) => s !== 'inventory')];
const running: ServiceProcess[] = [];

const stopAll = () => {
  for (const p of running) p.child.kill('SIGTERM');
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

const start = async (service: ServiceName) => {
  const label = `[${service}]`.padEnd(12);
  const p = await spawnService(service, env, { onLine: (line) => console.log(`${label}${line}`) });
  running.push(p);
  void p.exited.then((code) => console.log(`${label}exited (${code ?? 'signal'})`));
};
// Inventory first: it creates the schema and seeds the catalogue; then the other three at once.
await start('inventory');
await Promise.all(order.slice(1).map(start));
console.log(`All ${running.length} services running (pids ${running.map((p) => `${p.service}=${p.child.pid}`).join(', ')}). Ctrl-C stops them.`);
await Promise.all(running.map((p) => p.exited));
