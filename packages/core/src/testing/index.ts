/** @eventfold/core/testing — the shared conformance suites and test helpers. Needs vitest and fast-check. */

export { untilVisible } from './conformance/helpers.js';
export {
  type ConformanceContext,
  describeEventStoreConformance,
  type EventStoreConformanceOptions,
  type StoreFactoryOptions,
} from './eventStoreConformance.js';
export { type ChildOptions, killChildAfter, runChildUntil, seededRandom } from './fixtures/childProcess.js';
export { type DeciderFixture, type DeciderGiven, type DeciderThen, deciderFixture } from './fixtures/deciderFixture.js';
export { type FixtureEvent, type ProjectionFixtureOptions, projectionFixture, toRecordedEvents } from './fixtures/projectionFixture.js';
export { type ExpectedCommand, type SagaFixtureOptions, type SagaFixtureStep, type SagaGiven, type SagaThen, sagaFixture } from './sagas/sagaFixture.js';
export { type SimulationContext, type SimulationFaults, type SimulationOptions, type SimulationResult, simulateSagas } from './sagas/simulateSagas.js';
export { describeTimerStoreConformance, type TimerStoreConformanceOptions } from './sagas/timerStoreConformance.js';
export { describeTransportConformance, type TransportConformanceOptions } from './transportConformance.js';
