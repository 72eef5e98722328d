/**
 * `npm start`: the shop from environment variables. With no variables set, all four services run in
 * this process on SQLite (./data/shop.db) with the in-process transport, and the API listens on
 * http://localhost:3000. An invalid variable stops start-up with a message naming it and the fix.
 */
import { isEventfoldError } from '@eventfold/core';
import { loadConfig, type ShopConfig } from './config/loadConfig.js';
import { createShop } from './createShop.js';
import { createApi } from './http/createApi.js';

function hint(config: ShopConfig, url: string): string {
  const order = JSON.stringify({
    customerId: 'ada',
    lines: [
      { sku: 'TEA-001', quantity: 2 },
      { sku: 'MUG-001', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', street: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
    paymentToken: 'tok_visa',
  });
  return [
    `Eventfold shop running: ${config.services.join(', ')} · store ${config.store.kind} · transport ${config.transport.kind} · saga ${config.sagaStyle}`,
    `API on ${url}`,
    '',
    'Place an order:',
    `  curl -s -X POST ${url}/orders -H 'content-type: application/json' -d '${order}'`,
    'Then follow it (use the orderId and position from the answer):',
    `  curl -s '${url}/orders/<orderId>?minPosition=<position>'`,
    `  curl -s ${url}/sagas/<orderId>`,
    `More: GET ${url}/products · /orders · /orders/search?q=London · /revenue · /projections`,
    config.adminTokenGenerated
      ? `Admin token for this run (set SHOP_ADMIN_TOKEN to choose one): ${config.adminToken}`
      : 'Admin endpoints use the SHOP_ADMIN_TOKEN you set.',
    `  curl -s ${url}/admin/dead-letters -H 'authorization: Bearer <token>'`,
  ].join('\n');
}

async function main(): Promise<void> {
  let config: ShopConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (isEventfoldError(error, 'EVENTFOLD_INVALID_INPUT')) {
      console.error(`Configuration error — ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const shop = await createShop(config, { processName: `shop-${config.services.join('-')}-${process.pid}` });
  let close = () => shop.stop();
  if (config.http) {
    const app = createApi(shop);
    const address = await app.listen({ host: config.host, port: config.port });
    const port = new URL(address).port;
    console.log(hint(config, `http://${config.host}:${port}`));
    close = async () => {
      await app.close();
      await shop.stop();
    };
  } else {
    console.log(`Eventfold shop running: ${config.services.join(', ')} (no HTTP API in this process)`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping…`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
