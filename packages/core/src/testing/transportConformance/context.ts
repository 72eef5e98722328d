/**
 * Shared by the transport conformance parts: opens transports, makes bindings with random names,
 * and waits for deliveries with timeouts generous enough for real brokers.
 */
import { randomBytes } from 'node:crypto';
import type { Binding, BindingConfig } from '../../messaging/bindings.js';
import { defineBinding } from '../../messaging/bindings.js';
import type { DeliveredMessage, OutgoingMessage } from '../../messaging/message.js';
import type { Consumer, Transport } from '../../messaging/transport.js';

export interface TransportConformanceContext {
  /** A transport from the factory; closed after the test. */
  open(): Promise<Transport>;
  /** A provisioned binding with a random destination and group, plus the adapter's extras and `overrides`. */
  binding(transport: Transport, overrides?: Partial<BindingConfig>): Promise<Binding>;
  /** A second group on the same destination, provisioned. */
  sibling(transport: Transport, binding: Binding, overrides?: Partial<BindingConfig>): Promise<Binding>;
  /** Remembers a consumer so it is stopped after the test. */
  track(consumer: Consumer): Consumer;
  /** Polls until `check` is true, failing with `what` after the delivery timeout. */
  waitFor(what: string | (() => string), check: () => boolean | Promise<boolean>): Promise<void>;
  /** Waits the quiet period: long enough that a message that should not arrive would have. */
  quiet(): Promise<void>;
  readonly timeoutMs: number;
  readonly propertyRuns: number;
}

const encoder = new TextEncoder();
let counter = 0;

export function randomName(prefix: string): string {
  return `${prefix}.${randomBytes(5).toString('hex')}`;
}

/** A small message; `n` orders messages of one key. */
export function testMessage(key: string, n: number, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  counter += 1;
  return {
    id: `${key}-${n}-${process.pid}-${counter}-${randomBytes(4).toString('hex')}`,
    type: 'ConformanceTested',
    schemaVersion: 1,
    key,
    contentType: 'application/json',
    headers: { n: String(n) },
    body: encoder.encode(JSON.stringify({ key, n })),
    ...extra,
  };
}

/** Records deliveries for assertions. */
export function createRecorder() {
  const deliveries: DeliveredMessage[] = [];
  return {
    deliveries,
    ids: () => new Set(deliveries.map((d) => d.id)),
    count: () => deliveries.length,
  };
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function buildBinding(name: string, base: Partial<BindingConfig>, overrides: Partial<BindingConfig>, binder: string): Binding {
  const config: BindingConfig = {
    binder,
    destination: randomName('cf'),
    group: randomName('g'),
    ...base,
    ...overrides,
    consumer: { ...base.consumer, ...overrides.consumer },
  };
  if (base.kafka || overrides.kafka) config.kafka = { ...base.kafka, ...overrides.kafka };
  if (base.rabbitmq || overrides.rabbitmq) config.rabbitmq = { ...base.rabbitmq, ...overrides.rabbitmq };
  return defineBinding(name, config);
}
