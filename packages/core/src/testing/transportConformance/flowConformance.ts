/** Consumer lifecycle and flow control: stop acknowledges, pause/resume, bounded in-flight work with hooks. */
import { expect, it } from 'vitest';
import { createRecorder, sleepMs, type TransportConformanceContext, testMessage } from './context.js';

export function flowConformance(ctx: TransportConformanceContext): void {
  it('stop() acknowledges what was handled: the next member of the group gets only the rest', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const first = createRecorder();
    const consumer = await transport.subscribe(binding, (m) => void first.deliveries.push(m));
    const before = Array.from({ length: 5 }, (_, i) => testMessage(`k${i}`, i));
    await transport.publish(binding, before);
    await ctx.waitFor('the first batch', () => first.ids().size === before.length);
    await consumer.stop();
    await consumer.done;
    const after = Array.from({ length: 5 }, (_, i) => testMessage(`k${i}`, 10 + i));
    await transport.publish(binding, after);
    const second = createRecorder();
    ctx.track(await transport.subscribe(binding, (m) => void second.deliveries.push(m)));
    await ctx.waitFor('the second batch', () => after.every((m) => second.ids().has(m.id)));
    await ctx.quiet();
    const redelivered = before.filter((m) => second.ids().has(m.id)).map((m) => m.id);
    expect(redelivered, 'acknowledged messages came back').toEqual([]);
  });

  it('pause() stops deliveries and resume() continues them', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport);
    const seen = createRecorder();
    const consumer = ctx.track(await transport.subscribe(binding, (m) => void seen.deliveries.push(m)));
    await transport.publish(binding, [testMessage('a', 1)]);
    await ctx.waitFor('the first message', () => seen.count() === 1);
    consumer.pause();
    expect(consumer.paused).toBe(true);
    const held = [testMessage('a', 2), testMessage('b', 3)];
    await transport.publish(binding, held);
    await ctx.quiet();
    expect(seen.count(), 'delivered while paused').toBe(1);
    consumer.resume();
    expect(consumer.paused).toBe(false);
    await ctx.waitFor('the held messages', () => seen.ids().size === 3);
  });

  it('bounds in-flight work: at most `concurrency` handlers run, and onPause/onResume fire around maxInFlight', async () => {
    const transport = await ctx.open();
    const binding = await ctx.binding(transport, { consumer: { concurrency: 2, maxInFlight: 2 } });
    const releases: Array<() => void> = [];
    let running = 0;
    let maxRunning = 0;
    const events: string[] = [];
    const done = createRecorder();
    const consumer = ctx.track(
      await transport.subscribe(
        binding,
        async (m) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await new Promise<void>((resolve) => releases.push(resolve));
          running -= 1;
          done.deliveries.push(m);
        },
        { onPause: () => events.push('pause'), onResume: () => events.push('resume') },
      ),
    );
    const sent = Array.from({ length: 8 }, (_, i) => testMessage(`k${i}`, i));
    await transport.publish(binding, sent);
    await ctx.waitFor('two handlers running', () => running === 2);
    await ctx.quiet();
    expect(running, 'more handlers than concurrency').toBe(2);
    expect(consumer.inFlight).toBeLessThanOrEqual(2);
    expect(events[0]).toBe('pause');
    while (done.ids().size < sent.length) {
      for (const release of releases.splice(0)) release();
      await sleepMs(5);
      await ctx.waitFor('progress', () => releases.length > 0 || done.ids().size === sent.length);
    }
    expect(maxRunning).toBe(2);
    expect(events).toContain('resume');
  });
}
