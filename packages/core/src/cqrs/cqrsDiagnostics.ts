/**
 * CQRS observability through node:diagnostics_channel (no metrics library in core): every bus
 * dispatch that fails or succeeds, every projection batch committed, every projection failure.
 * Publishing costs nothing while no one subscribes.
 */
import diagnostics from 'node:diagnostics_channel';

export const BUS_HANDLED_CHANNEL = 'eventfold:bus:handled';
export const PROJECTION_BATCH_CHANNEL = 'eventfold:projection:batch';
export const PROJECTION_ERROR_CHANNEL = 'eventfold:projection:error';

export interface BusHandledMessage {
  bus: 'command' | 'query';
  type: string;
  messageId: string;
  ms: number;
  /** The error code (or 'error') when the handler failed. */
  failure: string | undefined;
}

export interface ProjectionBatchMessage {
  projection: string;
  events: number;
  position: bigint;
  ms: number;
}

export interface ProjectionErrorMessage {
  projection: string;
  error: unknown;
}

export const busHandled = diagnostics.channel(BUS_HANDLED_CHANNEL);
export const projectionBatch = diagnostics.channel(PROJECTION_BATCH_CHANNEL);
export const projectionError = diagnostics.channel(PROJECTION_ERROR_CHANNEL);
