/**
 * Vitest globalSetup for the int and e2e projects: starts the local Kafka broker when nothing accepts
 * connections on 127.0.0.1:9092. A broker that was already up is left running; one started here is
 * stopped after the run unless EVENTFOLD_KAFKA_KEEP=1 (then `npm run kafka:stop` stops it).
 */
import { startBroker, stopBroker } from './broker.mjs';

export default async function setup() {
  const { started } = await startBroker({ log: (line) => process.stderr.write(`${line}\n`) });
  if (!started || process.env.EVENTFOLD_KAFKA_KEEP === '1') return undefined;
  return async () => {
    await stopBroker({ log: (line) => process.stderr.write(`${line}\n`) });
  };
}
