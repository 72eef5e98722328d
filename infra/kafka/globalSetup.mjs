/**
 * Vitest globalSetup for the int and e2e projects: starts the local Kafka broker when nothing accepts
 * connections on 127.0.0.1:9092, and leaves it running afterwards like a local database, so the next
 * run (or another test run sharing the machine) does not pay for a start or lose its broker mid-run.
 * `npm run kafka:stop` stops it; EVENTFOLD_KAFKA_STOP_AFTER=1 stops a broker this run started.
 */
import { startBroker, stopBroker } from './broker.mjs';

export default async function setup() {
  const log = (line) => process.stderr.write(`${line}\n`);
  const { started } = await startBroker({ log });
  if (!started || process.env.EVENTFOLD_KAFKA_STOP_AFTER !== '1') return undefined;
  return async () => {
    await stopBroker({ log });
  };
}
