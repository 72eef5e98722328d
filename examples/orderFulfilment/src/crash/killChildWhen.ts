/**
 * Starts a TypeScript child process and SIGKILLs it as soon as `when` holds (polled), so a crash
 * lands in the middle of real work rather than during start-up.
 */
import { spawn } from 'node:child_process';

export async function killChildWhen(
  script: string,
  args: readonly string[],
  when: () => Promise<boolean>,
  { pollMs = 25, timeoutMs = 120_000 } = {},
): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=@eventfold/source', '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split('\n').includes('ready')) resolve();
      });
      void exited.then(() => reject(new Error(`child exited before it was ready: ${stderr}`)));
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await when())) {
      if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before it could be killed: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`kill condition not reached within ${timeoutMs} ms; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`child ended with ${signal}, not SIGKILL; stderr: ${stderr}`);
}
