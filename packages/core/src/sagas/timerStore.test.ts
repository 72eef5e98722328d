import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { describeTimerStoreConformance } from '../testing/sagas/timerStoreConformance.js';
import { createInMemoryTimerStore, type InMemoryTimerStore } from './timerStore.js';

let timers: InMemoryTimerStore;
describeTimerStoreConformance('memory', {
  async fresh() {
    timers = createInMemoryTimerStore();
  },
  async open(clock) {
    const store = createInMemoryEventStore({ clock });
    return { store, timers, close: () => store.close() };
  },
  durable: false,
});
