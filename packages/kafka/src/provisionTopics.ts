/**
 * Topic provisioning from bindings. Topics are created explicitly (the broker's auto-creation is
 * off, so a typo fails loudly) and provisioning waits until every partition has a leader, since a
 * produce to a partition without one fails with LEADER_NOT_AVAILABLE.
 */
import { type Binding, EventfoldError } from '@eventfold/core';
import type { Admin } from '@platformatic/kafka';
import { toKafkaTransportError } from './internal/kafkaErrors.js';
import { deadLetterTopicOf, retryTopicOf } from './internal/topicNames.js';

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

/** The topics a binding needs: its destination, and for a consumer group its retry topic and the destination's DLQ. */
export function topicsForBinding(binding: Binding, defaultPartitions: number): TopicSpec[] {
  const partitions = binding.kafka?.partitions ?? defaultPartitions;
  const replicationFactor = binding.kafka?.replicationFactor ?? 1;
  const specs: TopicSpec[] = [{ name: binding.destination, partitions, replicationFactor, config: binding.kafka?.topicConfig }];
  if (binding.group !== undefined) {
    specs.push({ name: retryTopicOf(binding.destination, binding.group), partitions, replicationFactor });
    // One partition keeps dead letters in the order they were written; they are few.
    specs.push({ name: deadLetterTopicOf(binding.destination), partitions: 1, replicationFactor });
  }
  return specs;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the missing topics and waits for their leaders. Existing topics are left as they are. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  if (specs.length === 0) return;
  const names = specs.map((s) => s.name);
  try {
    const existing = new Set(await admin.listTopics());
    for (const spec of specs) {
      if (existing.has(spec.name)) continue;
      try {
        await admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: spec.replicationFactor,
          configs: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        // Another process created it between listTopics and createTopics: fine.
        if (!(error as { findBy?: (p: string, v: unknown) => unknown }).findBy?.('apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
      }
    }
  } catch (error) {
    throw toKafkaTransportError(error, `create topics ${names.join(', ')}`, { topics: names });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await admin.metadata({ topics: names, forceUpdate: true }).catch(() => undefined);
    const ready = metadata !== undefined && names.every((n) => metadata.topics.get(n)?.partitions.every((p) => p && p.leader >= 0));
    if (ready) return;
    if (Date.now() > deadline) {
      throw new EventfoldError('EVENTFOLD_TIMEOUT', `Topics ${names.join(', ')} have no partition leaders after ${timeoutMs} ms. Check the broker log.`, {
        retryable: true,
        context: { topics: names },
      });
    }
    await sleep(100);
  }
}
