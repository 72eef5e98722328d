/** Failures of the local-broker scripts: the message always says what to do next. */
import { spawnSync } from 'node:child_process';

export class InfraError extends Error {
  name = 'InfraError';
}

/** Throws an InfraError with `hint` when `command` cannot be run at all. Returns its combined output. */
export function requireCommand(command, args, hint) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0)
    throw new InfraError(`\`${command}\` is not available: ${result.error?.message ?? `exit ${result.status}`}. ${hint}`);
  return `${result.stdout}${result.stderr}`;
}

/** Kafka 4.x brokers need Java 17 or newer. */
export function requireJava() {
  const output = requireCommand(
    'java',
    ['-version'],
    'The local Kafka broker needs Java 17 or newer on PATH (Debian: apt-get install openjdk-17-jre-headless), then rerun `npm run kafka:start`.',
  );
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= 17)) {
    throw new InfraError(`Kafka 4.x needs Java 17 or newer, but \`java -version\` says: ${output.split('\n')[0]}. Put a JDK/JRE 17+ first on PATH.`);
  }
  return major;
}
