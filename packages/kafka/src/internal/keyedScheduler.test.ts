import { describe, expect, it } from 'vitest';
import { KeyedScheduler } from './keyedScheduler.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedScheduler', () => {
  it('runs tasks of one key in order, one at a time, and different keys in parallel up to the limit', async () => {
    const scheduler = new KeyedScheduler<() => Promise<void>>(2, (task) => task());
    const log: string[] = [];
    const releases = new Map<string, () => void>();
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(`start ${name}`);
        releases.set(name, () => {
          log.push(`end ${name}`);
          resolve();
        });
      });
    scheduler.submit('a', task('a1'));
    scheduler.submit('a', task('a2'));
    scheduler.submit('b', task('b1'));
    scheduler.submit('c', task('c1'));
    await tick();
    expect(log).toEqual(['start a1', 'start b1']);
    expect(scheduler.active).toBe(2);
    expect(scheduler.size).toBe(4);
    releases.get('a1')?.();
    await tick();
    // c1 was ready before a2 became ready again: first come, first served across keys.
    expect(log.slice(2)).toEqual(['end a1', 'start c1']);
    releases.get('b1')?.();
    await tick();
    expect(log.at(-1)).toBe('start a2');
    releases.get('c1')?.();
    releases.get('a2')?.();
    await tick();
    expect(scheduler.size).toBe(0);
  });

  it('drops queued tasks of one tag and keeps running and other-tag tasks', async () => {
    const scheduler = new KeyedScheduler<() => Promise<void>>(1, (task) => task());
    const ran: string[] = [];
    let release!: () => void;
    const first = () =>
      new Promise<void>((resolve) => {
        release = () => {
          ran.push('first');
          resolve();
        };
      });
    scheduler.submit('k', first, 'main');
    scheduler.submit('k', async () => void ran.push('queued main'), 'main');
    scheduler.submit('j', async () => void ran.push('queued retry'), 'retry');
    await tick();
    expect(scheduler.clearQueued('main')).toBe(1);
    release();
    await tick();
    await tick();
    expect(ran).toEqual(['first', 'queued retry']);
    expect(scheduler.size).toBe(0);
  });

  it('keeps going when a task rejects', async () => {
    const scheduler = new KeyedScheduler<() => Promise<void>>(1, (task) => task());
    const ran: number[] = [];
    scheduler.submit('k', async () => {
      throw new Error('boom');
    });
    scheduler.submit('k', async () => void ran.push(2));
    await tick();
    await tick();
    expect(ran).toEqual([2]);
  });

  it('runs synchronous items inline, in order per key, and never more at once than the limit', () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const scheduler: KeyedScheduler<string> = new KeyedScheduler<string>(2, (item) => {
      running += 1;
      most = Math.max(most, running);
      log.push(item);
      // A nested submit (a handler that makes the consumer read more) waits for its key's running item.
      if (item === 'a1') scheduler.submit('a', 'a2');
      running -= 1;
    });
    scheduler.submit('a', 'a1');
    scheduler.submit('b', 'b1');
    expect(log).toEqual(['a1', 'a2', 'b1']);
    expect(most).toBe(1);
    expect(scheduler.size).toBe(0);
  });
});
