/**
 * Saga observability through node:diagnostics_channel (no metrics library in core): every saga log
 * event is published on `eventfold:saga:transition`, and a saga that needs a human on
 * `eventfold:saga:needs-attention` — the alert a metrics bridge or pager subscribes to.
 */
import diagnostics from 'node:diagnostics_channel';
import type { SagaAttentionRequestedData, SagaLogEvent, SagaStatus } from './sagaLog.js';

export const SAGA_TRANSITION_CHANNEL = 'eventfold:saga:transition';
export const SAGA_NEEDS_ATTENTION_CHANNEL = 'eventfold:saga:needs-attention';

export interface SagaTransitionMessage {
  saga: string;
  sagaId: string;
  type: SagaLogEvent['type'];
  /** Status after the event. */
  status: SagaStatus;
}

export type SagaNeedsAttentionMessage = SagaAttentionRequestedData;

const transition = diagnostics.channel(SAGA_TRANSITION_CHANNEL);
const attention = diagnostics.channel(SAGA_NEEDS_ATTENTION_CHANNEL);

export function publishSagaTransition(message: SagaTransitionMessage): void {
  if (transition.hasSubscribers) transition.publish(message);
}

export function publishSagaNeedsAttention(message: SagaNeedsAttentionMessage): void {
  if (attention.hasSubscribers) attention.publish(message);
}
