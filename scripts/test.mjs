#!/usr/bin/env node
// `npm test`: build every package, typecheck, lint, then run all test tiers (unit, integration
// against the real PostgreSQL/RabbitMQ/Kafka, e2e). Stops at the first failing step.
import { spawnSync } from 'node:child_process';

const steps = [
  ['build', 'npx', ['tsc', '-b', 'tsconfig.build.json']],
  ['typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['lint', 'npx', ['biome', 'check', '.']],
  ['tests', 'npx', ['vitest', 'run']],
];

for (const [name, command, args] of steps) {
  const started = Date.now();
  console.log(`\n── ${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n✗ ${name} failed after ${seconds}s (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
  console.log(`✓ ${name} (${seconds}s)`);
}
