/**
 * A new user's first minutes: `npm start` with no settings (except a private data file and a free
 * port, so the test never touches ./data or port 3000), run the curl command the shop prints, and see
 * the order complete. An invalid variable stops start-up with a message naming it and the fix.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const sh = promisify(execFile);
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL'); // the whole group: npm and the shop under it
    } catch {
      // already gone
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('npm', ['start', '--silent'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

test('npm start prints a curl command that places an order, and the order completes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventfold-start-'));
  dirs.push(dir);
  const shop = start({ EVENTFOLD_STORE: `sqlite:${join(dir, 'shop.db')}`, SHOP_PORT: '0' });
  const deadline = Date.now() + 120_000;
  while (!/curl -s -X POST .*\n/.test(shop.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const printed = shop.output().match(/^\s*(curl -s -X POST .*)$/m)?.[1];
  expect(printed, shop.output()).toBeDefined();
  const url = shop.output().match(/API on (http:\/\/\S+)/)?.[1] as string;

  const { stdout } = await sh('sh', ['-c', printed as string]);
  const placed = JSON.parse(stdout) as { orderId: string; status: string; position: string };
  expect(placed.status).toBe('placed');

  let order: { status: string; payment: string } | undefined;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/orders/${placed.orderId}?minPosition=${placed.position}`);
    order = (await res.json()) as { status: string; payment: string };
    if (order.status === 'completed' && order.payment === 'captured') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(order).toMatchObject({ status: 'completed', payment: 'captured' });
  const saga = (await (await fetch(`${url}/sagas/${placed.orderId}`)).json()) as { step: string };
  expect(saga.step).toBe('completed');

  // Ctrl-C reaches the whole process group (npm and the shop); the shop stops cleanly.
  process.kill(-(shop.child.pid as number), 'SIGINT');
  await shop.exited;
  expect(shop.output()).toContain('SIGINT: stopping');
});

test('an invalid variable stops start-up, naming the variable and the fix', async () => {
  const shop = start({ EVENTFOLD_STORE: 'mysql://localhost/shop' });
  expect(await shop.exited).toBe(2);
  expect(shop.output()).toContain('EVENTFOLD_STORE');
  expect(shop.output()).toContain('sqlite:./data/shop.db');
});
