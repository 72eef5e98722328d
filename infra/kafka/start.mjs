#!/usr/bin/env node
/** `npm run kafka:start`: fetch the jars if needed, start the local broker unless one is up, warm it up. */
import { startBroker } from './broker.mjs';
import { InfraError } from './errors.mjs';

try {
  await startBroker({ warmUp: !process.argv.includes('--no-warmup') });
} catch (error) {
  console.error(error instanceof InfraError ? `kafka: ${error.message}` : error);
  process.exit(1);
}
