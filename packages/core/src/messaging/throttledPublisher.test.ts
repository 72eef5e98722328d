import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { isEventfoldError } from '../errors.js';
import { defineBinding } from './bindings.js';
import { encodeJsonMessage } from './jsonSerde.js';
import type { OutgoingMessage } from './message.js';
import { createThrottledPublisher } from './throttledPublisher.js';
import { createManualTimers } from './timers.js';

const binding = defineBinding('out', { binder: 'memory', destination: 'd' });
const message = (i: number) => encodeJsonMessage({ id: `m${i}`, type: 'T', key: 'k', data: { i } });

/** A transport whose publishes complete only when the test confirms them. */
function slowTransport() {
  const pending: Array<{ messages: readonly OutgoingMessage[]; confirm: () => void }> = [];
  return {
    pending,
    publish: (_b: unknown, messages: readonly OutgoingMessage[]) => new Promise<void>((confirm) => pending.push({ messages, confirm })),
  };
}

describe('createThrottledPublisher', () => {
  it('holds the rate: after the burst, messages leave at ratePerSecond', async () => {
    const timers = createManualTimers(createManualClock(0));
    const sent: number[] = [];
    const publisher = createThrottledPublisher({
      transport: { publish: async () => void sent.push(timers.clock.now().getTime()) },
      ratePerSecond: 100,
      burst: 10,
      clock: timers.clock,
      sleep: timers.sleep,
    });
    const all = Promise.all(Array.from({ length: 30 }, (_, i) => publisher.publish(binding, [message(i)])));
    await timers.flush();
    expect(sent).toHaveLength(10);
    await timers.advance(100);
    expect(sent).toHaveLength(20);
    await timers.advance(100);
    await all;
    expect(sent).toHaveLength(30);
    expect(sent.at(-1)).toBe(200);
  });

  it('bounds messages in flight: publish waits for confirmations', async () => {
    const transport = slowTransport();
    const publisher = createThrottledPublisher({ transport, maxInFlight: 3 });
    const first = publisher.publish(binding, [message(1), message(2)]);
    const second = publisher.publish(binding, [message(3), message(4)]);
    await new Promise((r) => setImmediate(r));
    expect(transport.pending).toHaveLength(1);
    expect(publisher.inFlight).toBe(2);
    expect(publisher.waiting).toBe(1);
    transport.pending[0]!.confirm();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(transport.pending).toHaveLength(2);
    expect(publisher.inFlight).toBe(2);
    transport.pending[1]!.confirm();
    await second;
    expect(publisher.inFlight).toBe(0);
  });

  it("rejects with EVENTFOLD_OVERLOADED when full and whenFull is 'reject'", async () => {
    const transport = slowTransport();
    const publisher = createThrottledPublisher({ transport, maxInFlight: 1, whenFull: 'reject' });
    const first = publisher.publish(binding, [message(1)]);
    const error = await publisher.publish(binding, [message(2)]).catch((e: unknown) => e);
    expect(isEventfoldError(error, 'EVENTFOLD_OVERLOADED')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    await new Promise((r) => setImmediate(r));
    transport.pending[0]!.confirm();
    await first;
  });

  it('frees its room when the transport rejects', async () => {
    const publisher = createThrottledPublisher({
      transport: {
        publish: async () => {
          throw new Error('broker down');
        },
      },
      maxInFlight: 1,
    });
    await expect(publisher.publish(binding, [message(1)])).rejects.toThrow('broker down');
    expect(publisher.inFlight).toBe(0);
  });

  it('rejects bad settings', () => {
    expect(() => createThrottledPublisher({ transport: slowTransport(), ratePerSecond: 0 })).toThrow(/ratePerSecond/);
    expect(() => createThrottledPublisher({ transport: slowTransport(), maxInFlight: -1 })).toThrow(/maxInFlight/);
  });
});
