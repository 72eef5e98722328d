/**
 * The one conformance suite every Transport runs (memory, Kafka, RabbitMQ). A binder is done when
 * this passes. Each test provisions its own destination and group with random names and hands
 * them to `cleanup` afterwards; waits are bounded by `timeoutMs`, so slow brokers pass and broken
 * ones fail instead of hanging.
 */
import { afterEach, describe } from 'vitest';
import type { Binding, BindingConfig } from '../messaging/bindings.js';
import type { Consumer, Transport } from '../messaging/transport.js';
import { buildBinding, randomName, sleepMs, type TransportConformanceContext } from './transportConformance/context.js';
import { deadLetterConformance } from './transportConformance/deadLetterConformance.js';
import { deliveryConformance } from './transportConformance/deliveryConformance.js';
import { flowConformance } from './transportConformance/flowConformance.js';

export interface TransportConformanceOptions {
  /** A new transport, connected. The suite closes it after each test. */
  createTransport: () => Promise<Transport>;
  /** Merged into every binding the suite makes, e.g. `{ rabbitmq: { queueType: 'classic' } }` or `{ kafka: { partitions: 3 } }`. */
  bindingDefaults?: Partial<BindingConfig>;
  /** Deletes what was provisioned for these bindings (topics, queues, exchanges, DLQs). Called after each test. */
  cleanup?: (bindings: readonly Binding[]) => Promise<void>;
  /** Longest wait for an expected delivery, in ms. Default 15,000. */
  timeoutMs?: number;
  /** How long to watch for a delivery that must not happen, in ms. Default 500; raise it for brokers with slow fetches. */
  quietMs?: number;
  /** Runs of the property test (random bodies, headers, keys). Default 5. */
  propertyRuns?: number;
}

export function describeTransportConformance(name: string, options: TransportConformanceOptions): void {
  describe(`Transport conformance: ${name}`, () => {
    const transports: Transport[] = [];
    const consumers: Consumer[] = [];
    const bindings: Binding[] = [];
    const timeoutMs = options.timeoutMs ?? 15_000;
    const quietMs = options.quietMs ?? 500;

    afterEach(async () => {
      await Promise.allSettled(consumers.splice(0).map((c) => c.stop()));
      await Promise.allSettled(transports.splice(0).map((t) => t.close()));
      const used = bindings.splice(0);
      if (options.cleanup) await options.cleanup(used);
    });

    const ctx: TransportConformanceContext = {
      timeoutMs,
      propertyRuns: options.propertyRuns ?? 5,
      async open() {
        const transport = await options.createTransport();
        transports.push(transport);
        return transport;
      },
      async binding(transport, overrides = {}) {
        const binding = buildBinding(randomName('b'), options.bindingDefaults ?? {}, overrides, transport.binder);
        bindings.push(binding);
        await transport.provision(binding);
        return binding;
      },
      async sibling(transport, of, overrides = {}) {
        const binding = buildBinding(randomName('b'), options.bindingDefaults ?? {}, { destination: of.destination, ...overrides }, transport.binder);
        bindings.push(binding);
        await transport.provision(binding);
        return binding;
      },
      track(consumer) {
        consumers.push(consumer);
        return consumer;
      },
      async waitFor(what, check) {
        const deadline = Date.now() + timeoutMs;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
          await sleepMs(10);
        }
      },
      quiet: () => sleepMs(quietMs),
    };

    deliveryConformance(ctx);
    deadLetterConformance(ctx);
    flowConformance(ctx);
  });
}
