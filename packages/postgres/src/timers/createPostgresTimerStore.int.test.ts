import { describeTimerStoreConformance } from '@eventfold/core/testing';
import { createPostgresEventStore } from '../createPostgresEventStore.js';
import { dropSchema, randomSchemaName, testPostgresUrl } from '../testing/index.js';
import { createPostgresTimerStore } from './createPostgresTimerStore.js';

let schema: string;
describeTimerStoreConformance('postgres', {
  async fresh() {
    schema = randomSchemaName('ef_timers');
  },
  async open(clock) {
    const store = await createPostgresEventStore({ connectionString: testPostgresUrl, schema, clock, maxConnections: 4 });
    return { store, timers: await createPostgresTimerStore({ store, clock }), close: () => store.close() };
  },
  async remove() {
    await dropSchema(schema);
  },
});
