/**
 * Messaging observability through node:diagnostics_channel (no metrics library in core). The relay
 * and the in-process transports publish here; Kafka and RabbitMQ binders call the same functions so
 * one metrics bridge sees every binder.
 */
import diagnostics from 'node:diagnostics_channel';

export const RELAY_PUBLISHED_CHANNEL = 'eventfold:relay:published';
export const RELAY_ERROR_CHANNEL = 'eventfold:relay:error';
export const MESSAGE_RETRY_CHANNEL = 'eventfold:messaging:retry';
export const MESSAGE_DEAD_LETTERED_CHANNEL = 'eventfold:messaging:dead-lettered';

export interface RelayPublishedMessage {
  relay: string;
  from: bigint;
  to: bigint;
  events: number;
  messages: number;
}

export interface RelayErrorMessage {
  relay: string;
  error: unknown;
}

export interface MessageRetryMessage {
  destination: string;
  group: string;
  messageId: string;
  /** The attempt that failed. */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface MessageDeadLetteredMessage {
  destination: string;
  group: string;
  messageId: string;
  type: string;
  attempts: number;
  reason: string;
}

const relayPublished = diagnostics.channel(RELAY_PUBLISHED_CHANNEL);
const relayError = diagnostics.channel(RELAY_ERROR_CHANNEL);
const retry = diagnostics.channel(MESSAGE_RETRY_CHANNEL);
const deadLettered = diagnostics.channel(MESSAGE_DEAD_LETTERED_CHANNEL);

export function publishRelayPublished(message: RelayPublishedMessage): void {
  if (relayPublished.hasSubscribers) relayPublished.publish(message);
}

export function publishRelayError(message: RelayErrorMessage): void {
  if (relayError.hasSubscribers) relayError.publish(message);
}

export function publishMessageRetry(message: MessageRetryMessage): void {
  if (retry.hasSubscribers) retry.publish(message);
}

export function publishMessageDeadLettered(message: MessageDeadLetteredMessage): void {
  if (deadLettered.hasSubscribers) deadLettered.publish(message);
}
