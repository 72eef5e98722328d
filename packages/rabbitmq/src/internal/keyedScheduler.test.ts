import { describe, expect, it } from 'vitest';
import { KeyedScheduler } from './keyedScheduler.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('KeyedScheduler', () => {
  it('runs one job per key at a time, in submission order, and different keys in parallel up to the limit', async () => {
    const scheduler = new KeyedScheduler(2);
    const log: string[] = [];
    const releases = new Map<string, () => void>();
    const job = (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(`start ${name}`);
        releases.set(name, () => {
          log.push(`end ${name}`);
          resolve();
        });
      });
    scheduler.submit('a', job('a1'));
    scheduler.submit('a', job('a2'));
    scheduler.submit('b', job('b1'));
    scheduler.submit('c', job('c1'));
    await tick();
    expect(log).toEqual(['start a1', 'start b1']);
    expect(scheduler.size).toBe(4);
    releases.get('a1')?.();
    await tick();
    // c1 was waiting longer than a2 became ready: it goes first.
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start c1']);
    releases.get('b1')?.();
    await tick();
    expect(log.at(-1)).toBe('start a2');
    releases.get('c1')?.();
    releases.get('a2')?.();
    await scheduler.idle();
    expect(scheduler.size).toBe(0);
  });

  it('keeps going after a job fails', async () => {
    const scheduler = new KeyedScheduler(1);
    const done: number[] = [];
    scheduler.submit('k', async () => {
      throw new Error('boom');
    });
    scheduler.submit('k', async () => {
      done.push(2);
    });
    await scheduler.idle();
    expect(done).toEqual([2]);
  });

  it('runs synchronous jobs (returning undefined) at once, without giving up per-key order', async () => {
    const scheduler = new KeyedScheduler(1);
    const log: string[] = [];
    let release!: () => void;
    scheduler.submit('a', () => {
      log.push('a1');
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    scheduler.submit('a', () => {
      log.push('a2');
      return undefined;
    });
    scheduler.submit('b', () => {
      log.push('b1');
      return undefined;
    });
    expect(log).toEqual(['a1']);
    release();
    await scheduler.idle();
    expect(log).toEqual(['a1', 'b1', 'a2']);
    scheduler.submit('c', () => {
      log.push('c1');
      return undefined;
    });
    // Nothing was running: the synchronous job ran inside submit and is already finished.
    expect(log.at(-1)).toBe('c1');
    expect(scheduler.size).toBe(0);
  });

  it('idle() resolves at once when nothing runs', async () => {
    await new KeyedScheduler(3).idle();
  });
});
