/**
 * Maps @platformatic/kafka failures to EventfoldErrors with a stable code and the retry decision as
 * data: broker or network trouble is retryable (EVENTFOLD_TRANSPORT_UNAVAILABLE); a request the broker
 * refuses for good (unknown topic, record too large, no permission) is not (EVENTFOLD_PUBLISH_REJECTED).
 */
import { EventfoldError, isEventfoldError } from '@eventfold/core';

interface Findable {
  findBy?: (property: string, value: unknown) => unknown;
}

function find(error: unknown, property: string, value: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as Findable).findBy === 'function' && !!(error as Findable).findBy?.(property, value);
}

const PERMANENT_API_ERRORS: Record<string, string> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'the topic does not exist: call transport.provision(binding) first (topic auto-creation is off)',
  UNKNOWN_TOPIC_ID: 'the topic does not exist: call transport.provision(binding) first (topic auto-creation is off)',
  MESSAGE_TOO_LARGE: 'a record batch is larger than the broker accepts: lower producer.maxBatchBytes or the message size',
  RECORD_LIST_TOO_LARGE: 'a record batch is larger than the broker accepts: lower producer.maxBatchBytes',
  INVALID_RECORD: 'the broker rejected a record as invalid',
  TOPIC_AUTHORIZATION_FAILED: 'the client may not write to this topic',
  CLUSTER_AUTHORIZATION_FAILED: 'the client lacks cluster permissions (idempotent writes need IDEMPOTENT_WRITE)',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'the client may not use this transactional id',
  INVALID_TOPIC_EXCEPTION: 'the topic name is invalid',
};

export function describeKafkaError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const inner = error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e)));
    return `${error.message} (${[...new Set(inner)].join('; ')})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The EventfoldError for a failed Kafka `operation` (e.g. 'publish to "orders"'). */
export function toKafkaTransportError(error: unknown, operation: string, context: Record<string, unknown> = {}): EventfoldError {
  if (isEventfoldError(error)) return error;
  // The client's own metadata check says "Unknown topic <name>." (a UserError without an apiId).
  const unknownTopic = /Unknown topic ([^\s]+?)\.?$/.exec(error instanceof Error ? error.message : '');
  if (unknownTopic) {
    return new EventfoldError(
      'EVENTFOLD_PUBLISH_REJECTED',
      `Kafka refused to ${operation}: topic "${unknownTopic[1]}" does not exist. Call transport.provision(binding) first (topic auto-creation is off).`,
      {
        cause: error,
        retryable: false,
        context: { ...context, topic: unknownTopic[1] },
      },
    );
  }
  for (const [apiId, why] of Object.entries(PERMANENT_API_ERRORS)) {
    if (find(error, 'apiId', apiId)) {
      return new EventfoldError('EVENTFOLD_PUBLISH_REJECTED', `Kafka refused to ${operation}: ${why} (${apiId}).`, {
        cause: error,
        retryable: false,
        context: { ...context, apiId },
      });
    }
  }
  return new EventfoldError(
    'EVENTFOLD_TRANSPORT_UNAVAILABLE',
    `Could not ${operation} on Kafka: ${describeKafkaError(error)}. Check that the brokers are reachable (npm run kafka:start starts a local one) and try again.`,
    { cause: error, retryable: true, context },
  );
}

export function closedError(what: string): EventfoldError {
  return new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', `The Kafka transport is closed; cannot ${what}. Create a new transport.`, { retryable: false });
}

/** Closes a client, forcing its streams shut, and ignores errors (used on shutdown paths). */
export async function closeQuietly(client: { close(force?: boolean): Promise<void> } | undefined): Promise<void> {
  if (client === undefined) return;
  try {
    await client.close(true);
  } catch {
    // Already closed or the broker is gone: nothing left to release.
  }
}
