/**
 * Fetches Apache Kafka's broker and tools jars from Maven Central (`mvn dependency:copy-dependencies`
 * on infra/kafka/pom.xml) into .cache/kafka/libs-<pom hash>. The copy lands in a temporary folder that
 * is renamed into place only when Maven succeeded, so an interrupted or failed fetch never leaves a
 * half-filled classpath behind and a rerun simply starts over. `node infra/kafka/fetch.mjs` runs it alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, libsDir, pomPath } from './config.mjs';
import { InfraError, requireCommand } from './errors.mjs';

const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const attempts = 3;

/** Returns the folder holding every runtime jar, fetching it first when the cache lacks it. */
export function ensureKafkaJars({ log = console.log } = {}) {
  const target = libsDir();
  if (existsSync(target) && readdirSync(target).some((f) => f.startsWith('kafka_2.13-'))) return target;
  requireCommand('mvn', ['-v'], 'Maven (mvn) is needed once to fetch the Kafka jars. Install it (Debian: apt-get install maven) and rerun.');
  mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const tmp = `${target}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    log(`kafka: fetching broker jars with Maven (attempt ${attempt}/${attempts})…`);
    const result = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '--no-transfer-progress',
        '-f',
        pomPath,
        `${dependencyPlugin}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${tmp}`,
        '-Dmaven.wagon.http.retryHandler.count=3',
        '-Daether.connector.http.retryHandler.count=3',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (result.status === 0 && existsSync(tmp)) {
      rmSync(target, { recursive: true, force: true });
      renameSync(tmp, target);
      // Jar sets of older pom versions are dead weight now (a running JVM keeps its open files).
      for (const entry of readdirSync(cacheDir)) {
        if (entry.startsWith('libs-') && join(cacheDir, entry) !== target && !entry.includes('.tmp-'))
          rmSync(join(cacheDir, entry), { recursive: true, force: true });
      }
      log(`kafka: ${readdirSync(target).length} jars cached in ${target} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return target;
    }
    rmSync(tmp, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    if (attempt === attempts) {
      throw new InfraError(
        `Maven could not fetch the Kafka jars after ${attempts} attempts (exit ${result.status ?? result.signal}). Check that Maven Central is reachable and rerun \`npm run kafka:start\`.\n${output}`,
      );
    }
    log(`kafka: Maven failed (exit ${result.status ?? result.signal}); retrying in ${attempt * 2} s\n${output}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, attempt * 2000);
  }
  return target;
}

/** The java classpath for the cached jars (a wildcard: the JVM expands it). */
export function kafkaClasspath(dir = libsDir()) {
  return join(dir, '*');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureKafkaJars();
  } catch (error) {
    console.error(error instanceof InfraError ? error.message : error);
    process.exit(1);
  }
}
