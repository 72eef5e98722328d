/**
 * Starts one shop service as its own process (`main.ts` with SHOP_SERVICES=<service>) and resolves
 * once it is running. Used by the distributed launcher and the distributed end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '../config/loadConfig.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface ServiceProcess {
  service: ServiceName | 'all';
  child: ChildProcess;
  /** The API's URL when this process serves HTTP. */
  url: string | undefined;
  output(): string;
  exited: Promise<number | null>;
}

export async function spawnService(
  service: ServiceName | 'all',
  env: Record<string, string>,
  options: { onLine?: (line: string) => void; timeoutMs?: number /** Extra node flags, e.g. ['--cpu-prof']. */; execArgv?: string[] } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), '--conditions=@eventfold/source', '--import', 'tsx', MAIN], {
    env: { ...process.env, ...env, SHOP_SERVICES: service },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let pending = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onLine?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let running = false;
  void exited.then(() => {
    running = false;
  });
  while (!/Eventfold shop running/.test(output)) {
    if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode} during start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${service} did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  running = true;
  // The HTTP process prints its URL right after the banner.
  while (env.SHOP_HTTP !== 'false' && (service === 'orders' || service === 'all') && !/API on \S+/.test(output) && running)
    await new Promise((r) => setTimeout(r, 20));
  return { service, child, url: output.match(/API on (http:\/\/\S+)/)?.[1], output: () => output, exited };
}
