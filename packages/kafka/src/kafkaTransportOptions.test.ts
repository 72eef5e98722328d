import { isEventfoldError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { resolveKafkaOptions } from './kafkaTransportOptions.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isEventfoldError(error) ? `${error.code} ${error.message}` : String(error);
  }
};

describe('resolveKafkaOptions', () => {
  it('fills defaults for a local broker', () => {
    const o = resolveKafkaOptions();
    expect(o.brokers).toEqual(['127.0.0.1:9092']);
    expect(o.producer).toMatchObject({ batchSize: 1_000, lingerMs: 0, compression: 'none' });
    expect(o.consumer).toMatchObject({ maxRecordsPerPoll: 5_000, commitIntervalMs: 50 });
  });

  it.each([
    [{ brokers: [] }, /brokers/],
    [{ brokers: ['localhost'] }, /host:port/],
    [{ producer: { batchSize: 0 } }, /producer.batchSize/],
    [{ producer: { compression: 'zstd' as never } }, /zstd needs Node/],
    [{ producer: { retries: 1 } }, /producer.retries/],
    [{ consumer: { heartbeatIntervalMs: 5_000, sessionTimeoutMs: 5_000 } }, /below sessionTimeoutMs/],
    [{ clientId: 'has space' }, /clientId/],
  ])('rejects %j with EVENTFOLD_INVALID_INPUT', (options, message) => {
    const result = code(() => resolveKafkaOptions(options));
    expect(result).toMatch(/^EVENTFOLD_INVALID_INPUT/);
    expect(result).toMatch(message);
  });
});
