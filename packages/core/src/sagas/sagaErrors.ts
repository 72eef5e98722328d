/** Errors of the saga runner and the operator API. */
import { EventfoldError } from '../errors.js';
import type { SagaStatus } from './sagaLog.js';

/** An operator asked for something the saga's status does not allow (retry a saga that is not stuck). */
export class SagaStateError extends EventfoldError {
  override readonly name = 'SagaStateError';
  constructor(saga: string, sagaId: string, status: SagaStatus, action: 'retry' | 'resolve') {
    super(
      'EVENTFOLD_SAGA_STATE',
      `Saga ${saga} "${sagaId}" is ${status}; only a saga that NeedsAttention can be told to ${action}. Check its status first (operator.status).`,
      { context: { saga, sagaId, status, action } },
    );
  }
}

/** No saga log exists for this id. */
export class SagaNotFoundError extends EventfoldError {
  override readonly name = 'SagaNotFoundError';
  constructor(saga: string, sagaId: string) {
    super('EVENTFOLD_SAGA_NOT_FOUND', `Saga ${saga} "${sagaId}" has no log; check the saga name and id (the stream is saga-${saga}-${sagaId}).`, {
      context: { saga, sagaId },
    });
  }
}
