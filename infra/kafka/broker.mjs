/**
 * Start and stop the local single-node KRaft broker. Starting is idempotent (a broker already accepting
 * connections on 127.0.0.1:9092 is left alone) and serialised by a lock file, so two test runs that
 * start at once launch one JVM. The broker runs detached: it outlives the script that started it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  brokerPort,
  brokerProperties,
  cacheDir,
  dataDir,
  host,
  jvmOptions,
  lockFile,
  log4jConfigPath,
  logsDir,
  pidFile,
  propertiesFile,
  renderProperties,
} from './config.mjs';
import { InfraError, requireJava } from './errors.mjs';
import { ensureKafkaJars, kafkaClasspath } from './fetch.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isPortOpen(port = brokerPort, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded by the last start, if that process is still a Kafka broker. */
export function runningBrokerPid() {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // Guard against pid reuse after a reboot: the process must still be our broker.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes('kafka.Kafka')) return undefined;
  return pid;
}

async function withStartLock(fn, log) {
  mkdirSync(cacheDir, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8').trim() || '0');
      if (holder > 0 && !isAlive(holder)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new InfraError(`Timed out waiting for another start (pid ${holder}, lock ${lockFile}). Remove the lock if that process is gone.`);
      if (!announced) log(`kafka: another process (pid ${holder}) is starting the broker; waiting for it…`);
      announced = true;
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function randomClusterId() {
  // Kafka's Uuid string form: 16 random bytes, URL-safe base64 without padding. Like Kafka's own
  // Uuid.randomUuid, never start with '-': the storage tool would read the id as an option (1 in 64).
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function formatStorage(libs, log) {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  mkdirSync(dataDir, { recursive: true });
  const clusterId = randomClusterId();
  log(`kafka: formatting KRaft storage in ${dataDir} (cluster ${clusterId})`);
  const result = spawnSync(
    'java',
    [
      '-cp',
      kafkaClasspath(libs),
      `-Dlog4j2.configurationFile=${log4jConfigPath}`,
      `-Dkafka.logs.dir=${logsDir}`,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      clusterId,
      '-c',
      propertiesFile,
      '--ignore-formatted',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (result.status !== 0) {
    throw new InfraError(
      `Formatting Kafka storage failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}\nRun \`npm run kafka:stop -- --wipe\` and start again.`,
    );
  }
}

function tail(file, lines = 30) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

async function waitUntilStarted(pid, logFile, fromByte, timeoutMs, outFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new InfraError(
        `The Kafka broker (pid ${pid}) exited during start-up.\n--- ${outFile}\n${tail(outFile)}\n--- ${logFile}\n${tail(logFile)}\nIf the storage is damaged, run \`npm run kafka:stop -- --wipe\` and start again.`,
      );
    }
    if (existsSync(logFile) && statSync(logFile).size > fromByte) {
      const text = readFileSync(logFile, 'utf8').slice(fromByte);
      if (text.includes('Kafka Server started') && (await isPortOpen())) return;
    }
    await sleep(200);
  }
  throw new InfraError(`The Kafka broker (pid ${pid}) did not report "Kafka Server started" within ${timeoutMs / 1000} s. See ${logFile}.`);
}

/**
 * Starts the broker unless 127.0.0.1:9092 already accepts connections; then warms up groups and
 * transactions. Returns `{ started }` telling whether this call launched it.
 */
export async function startBroker({ log = console.log, warmUp = true, timeoutMs = 120_000 } = {}) {
  return withStartLock(async () => {
    if (await isPortOpen()) {
      log(`kafka: a broker is already accepting connections on ${host}:${brokerPort}; leaving it as it is`);
      return { started: false, pid: runningBrokerPid() };
    }
    const started = Date.now();
    requireJava();
    const libs = ensureKafkaJars({ log });
    mkdirSync(logsDir, { recursive: true });
    writeFileSync(propertiesFile, renderProperties(brokerProperties()));
    formatStorage(libs, log);
    const logFile = join(logsDir, 'server.log');
    const outFile = join(logsDir, 'broker.out');
    const fromByte = existsSync(logFile) ? statSync(logFile).size : 0;
    const out = openSync(outFile, 'w');
    const child = spawn(
      'java',
      [
        ...jvmOptions,
        `-Dlog4j2.configurationFile=${log4jConfigPath}`,
        `-Dkafka.logs.dir=${logsDir}`,
        '-cp',
        kafkaClasspath(libs),
        'kafka.Kafka',
        propertiesFile,
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    if (child.pid === undefined) throw new InfraError('Could not spawn `java` for the Kafka broker. Is Java 17+ on PATH?');
    child.unref();
    writeFileSync(pidFile, String(child.pid));
    log(`kafka: broker starting (pid ${child.pid}), logs in ${logsDir}`);
    await waitUntilStarted(child.pid, logFile, fromByte, timeoutMs, outFile);
    log(`kafka: broker ready on ${host}:${brokerPort} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (warmUp) {
      const warmStarted = Date.now();
      const { warmUpBroker } = await import('./warmup.mjs');
      await warmUpBroker();
      log(`kafka: groups and transactions warmed up in ${((Date.now() - warmStarted) / 1000).toFixed(1)} s`);
    }
    return { started: true, pid: child.pid };
  }, log);
}

/** Stops the broker started by `startBroker` (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopBroker({ log = console.log, wipe = false, graceMs = 30_000 } = {}) {
  const pid = runningBrokerPid();
  if (pid === undefined) {
    if (await isPortOpen()) {
      throw new InfraError(
        `Something listens on ${host}:${brokerPort}, but it was not started by \`npm run kafka:start\` from this checkout (no live pid in ${pidFile}). Stop it yourself.`,
      );
    }
    log('kafka: no broker running');
  } else {
    log(`kafka: stopping broker (pid ${pid})…`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(200);
    if (isAlive(pid)) {
      log(`kafka: broker did not stop within ${graceMs / 1000} s; killing it`);
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(100);
    }
    log('kafka: broker stopped');
  }
  rmSync(pidFile, { force: true });
  if (wipe) {
    rmSync(dataDir, { recursive: true, force: true });
    log(`kafka: removed ${dataDir}`);
  }
}
