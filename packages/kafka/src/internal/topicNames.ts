/**
 * Names of the topics a consumer binding uses besides its destination. Retries are per group (only
 * the group whose handler failed sees the message again), dead letters per destination (each letter
 * names its group in a header), as the design's `<topic>.dlq` says.
 */
export function retryTopicOf(destination: string, group: string): string {
  return `${destination}.${group}.retry`;
}

export function deadLetterTopicOf(destination: string): string {
  return `${destination}.dlq`;
}
