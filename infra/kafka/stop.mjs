#!/usr/bin/env node
/** `npm run kafka:stop [-- --wipe]`: stop the broker started by kafka:start; --wipe also deletes its data. */
import { stopBroker } from './broker.mjs';
import { InfraError } from './errors.mjs';

try {
  await stopBroker({ wipe: process.argv.includes('--wipe') });
} catch (error) {
  console.error(error instanceof InfraError ? `kafka: ${error.message}` : error);
  process.exit(1);
}
