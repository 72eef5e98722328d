/** @eventfold/core — message model, errors, the EventStore interface, subscriptions and the in-memory store. */

export { CheckpointConflictError } from './checkpointConflictError.js';
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock.js';
export { DuplicateHandlerError, NoHandlerError, ValidationError, type ValidationIssue } from './cqrs/busErrors.js';
export { type ConnectEventBusOptions, connectEventBus } from './cqrs/connectEventBus.js';
export {
  BUS_HANDLED_CHANNEL,
  type BusHandledMessage,
  PROJECTION_BATCH_CHANNEL,
  PROJECTION_ERROR_CHANNEL,
  type ProjectionBatchMessage,
  type ProjectionErrorMessage,
} from './cqrs/cqrsDiagnostics.js';
export {
  type CommandBus,
  type CommandBusOptions,
  createCommandBus,
  type DispatchOptions,
  type HandlerFn,
  type Message,
  type MessageEnvelope,
  type Middleware,
  type RegisterOptions,
} from './cqrs/createCommandBus.js';
export { createEventBus, type EventBus, type EventBusHandler, type EventBusOptions } from './cqrs/createEventBus.js';
export { createPositionWaiter, type PositionWaiterOptions } from './cqrs/createPositionWaiter.js';
export {
  createProjectionRunner,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionState,
  type ProjectionStatus,
  type RebuildOptions,
  type RebuildProgress,
} from './cqrs/createProjectionRunner.js';
export {
  createQueryBus,
  type QueryBus,
  type QueryBusOptions,
  type QueryOptions,
  type WaitForPosition,
  type WaitForPositionOptions,
} from './cqrs/createQueryBus.js';
export { defineProjection, type Projection, type ProjectionHandler, type ProjectionHandlers, type ProjectionOptions } from './cqrs/defineProjection.js';
export { formatProgress } from './cqrs/formatProgress.js';
export { projectionFromClass, registerEventHandlers, registerQueryHandlers } from './cqrs/fromHandlerClass.js';
export { currentMessageContext, type MessageContext, runInMessageContext } from './cqrs/messageContext.js';
export { correlation, type IdempotencyOptions, type IdempotencyStore, idempotency, type Logger, type LoggingOptions, logging } from './cqrs/middleware.js';
export { createMemoryProjectionTarget, type ProjectionTarget } from './cqrs/projectionTarget.js';
export { ProjectionTimeoutError } from './cqrs/projectionTimeoutError.js';
export { type StandardSchemaV1, validateWithSchema } from './cqrs/validateWithSchema.js';
export {
  compareGlobalPositions,
  type EventMetadata,
  type EventToAppend,
  type GlobalPosition,
  type Headers,
  type JsonObject,
  type JsonValue,
  parseGlobalPosition,
  type RecordedEvent,
  START,
} from './envelope.js';
export {
  ConcurrencyError,
  DuplicateEventError,
  EventfoldError,
  type EventfoldErrorCode,
  type EventfoldErrorOptions,
  InvalidInputError,
  isEventfoldError,
  PayloadTooLargeError,
  StreamNotFoundError,
} from './errors.js';
export type {
  AppendOptions,
  AppendResult,
  CheckpointStore,
  CheckpointStoreOptions,
  EventStore,
  FoldableEvent,
  ReadAllOptions,
  ReadStreamOptions,
  Snapshot,
  SnapshotStore,
  TypedLogReader,
} from './eventStore.js';
export { checkEventNames, type EventNameViolation, isPastParticiple } from './eventsourcing/checkEventNames.js';
export { CommandRejectedError } from './eventsourcing/commandRejectedError.js';
export {
  type BatchedCommand,
  type BatchedResult,
  createRepository,
  type EventMetadataOptions,
  eventMetadata,
  type HandleOptions,
  type HandleResult,
  type Repository,
  type RepositoryOptions,
} from './eventsourcing/createRepository.js';
export {
  type Command,
  type Decider,
  type DomainEvent,
  declaredEventTypes,
  declareEventTypes,
  defineDecider,
  fold,
  toEventList,
} from './eventsourcing/decider.js';
export {
  Aggregate,
  type AggregateOptions,
  aggregateSnapshotPolicy,
  CommandHandler,
  EventHandler,
  EventSourcingHandler,
  fromAggregate,
  QueryHandler,
} from './eventsourcing/decorators.js';
export { defineUpcasters, noUpcasters, type Upcaster, type UpcasterRegistry, UpcastFailedError } from './eventsourcing/defineUpcasters.js';
export { type LoadAggregateOptions, type LoadedAggregate, loadAggregate } from './eventsourcing/loadAggregate.js';
export { defineSnapshotPolicy, type SnapshotDecision, type SnapshotOptions, type SnapshotPolicy } from './eventsourcing/snapshotPolicy.js';
export { withUpcasting } from './eventsourcing/withUpcasting.js';
export { assertExpectedVersion, type ExpectedVersion, matchesExpectedVersion } from './expectedVersion.js';
export { createInMemoryEventStore, type InMemoryEventStoreOptions } from './inMemoryEventStore.js';
export { assertCheckpointName, assertPosition, assertReadAllOptions, assertReadStreamOptions, assertSnapshot } from './inputChecks.js';
export {
  type Binding,
  type BindingConfig,
  type Bindings,
  type ConsumerSettings,
  defineBinding,
  defineBindings,
  type KafkaBindingExtras,
  type ProducerSettings,
  type RabbitMqBindingExtras,
  requireGroup,
} from './messaging/bindings.js';
export { createRelay, type Relay, type RelayOptions, type RelayPublisher, type RelayRoute, runRelay } from './messaging/createRelay.js';
export {
  copyMessage,
  type DeadLetter,
  type DeadLetterInfo,
  type DeadLetterQueue,
  fromDeadLetterMessage,
  type ListDeadLettersOptions,
  toDeadLetterMessage,
} from './messaging/deadLetter.js';
export { createDirectTransport, type DirectTransportOptions } from './messaging/directTransport.js';
export { type DrainStoreTransportOptions, drainStoreTransport } from './messaging/drainStoreTransport.js';
export { createInMemoryInbox, type InMemoryInbox } from './messaging/inMemoryInbox.js';
export { createInMemoryTransport, type InMemoryTransport, type InMemoryTransportOptions } from './messaging/inMemoryTransport.js';
export {
  createJsonSerde,
  type DecodedMessage,
  type EncodeInput,
  encodeJsonMessage,
  eventToMessage,
  JSON_CONTENT_TYPE,
  type JsonSerde,
  type JsonSerdeOptions,
  type JsonTypeReader,
  UnreadableMessageError,
  withJsonSerde,
} from './messaging/jsonSerde.js';
export { assertOutgoingMessage, type DeliveredMessage, MESSAGE_HEADERS, type MessageHandler, type OutgoingMessage } from './messaging/message.js';
export {
  MESSAGE_DEAD_LETTERED_CHANNEL,
  MESSAGE_RETRY_CHANNEL,
  type MessageDeadLetteredMessage,
  type MessageRetryMessage,
  publishMessageDeadLettered,
  publishMessageRetry,
  publishRelayError,
  publishRelayPublished,
  RELAY_ERROR_CHANNEL,
  RELAY_PUBLISHED_CHANNEL,
  type RelayErrorMessage,
  type RelayPublishedMessage,
} from './messaging/messagingDiagnostics.js';
export { createInMemoryRelayLease, type RelayLease } from './messaging/relayLease.js';
export {
  createRetryPolicy,
  DEFAULT_RETRY_POLICY,
  isPermanentFailure,
  type RetryPolicy,
  type RetryPolicyDependencies,
  type RetryPolicyOptions,
} from './messaging/retryPolicy.js';
export { createStoreTransport, type StoreTransportOptions } from './messaging/storeTransport.js';
export { createThrottledPublisher, type ThrottledPublisher, type ThrottledPublisherOptions } from './messaging/throttledPublisher.js';
export { createManualTimers, type ManualTimers, type Sleep, systemSleep } from './messaging/timers.js';
export type { ConsumeOptions, Consumer, Transport } from './messaging/transport.js';
export {
  type AppendLimits,
  assertJsonValue,
  assertStreamId,
  DEFAULT_MAX_EVENT_BYTES,
  EMPTY_METADATA_JSON,
  MAX_BATCH_SIZE,
  MAX_STREAM_ID_LENGTH,
  type PreparedAppend,
  type PreparedEvent,
  prepareAppend,
} from './prepareAppend.js';
export { createReactor, type Reactor, type ReactorOptions } from './sagas/createReactor.js';
export { createSagaOperator, type SagaInstanceStatus, type SagaOperator, type SagaOperatorOptions } from './sagas/createSagaOperator.js';
export { createSagaRunner, type SagaRunner, type SagaRunnerOptions } from './sagas/createSagaRunner.js';
export { type DecideSagaContext, decideSaga, type SagaInput } from './sagas/decideSaga.js';
export { defineReaction, type Reaction, type ReactionContext } from './sagas/defineReaction.js';
export {
  defineSaga,
  type ReplyHandler,
  type ReplyMap,
  type ReplyVerdict,
  type SagaCompensation,
  type SagaDefinition,
  type SagaDefinitionOptions,
  type SagaInputEvent,
  type SagaParallelSteps,
  type SagaStep,
  type SagaStepContext,
  type StepOutcome,
} from './sagas/defineSaga.js';
export { deterministicId, deterministicIdAfter } from './sagas/deterministicId.js';
export {
  type DeliveredSagaCommand,
  readSagaCommand,
  SAGA_HEADERS,
  type SagaCommandRouteOptions,
  sagaCommandMessage,
  sagaCommandRoute,
} from './sagas/sagaCommandRoute.js';
export {
  SAGA_NEEDS_ATTENTION_CHANNEL,
  SAGA_TRANSITION_CHANNEL,
  type SagaNeedsAttentionMessage,
  type SagaTransitionMessage,
} from './sagas/sagaDiagnostics.js';
export { createSagaEngine, type LoadedSaga, type SagaEngine, type SagaEngineOptions, schedulesTimer, timersOf, toSagaLogEvents } from './sagas/sagaEngine.js';
export { SagaNotFoundError, SagaStateError } from './sagas/sagaErrors.js';
export {
  isSagaLogEvent,
  SAGA_LOG_EVENT_TYPES,
  type SagaCommand,
  type SagaLogEvent,
  type SagaLogEventMap,
  type SagaPhase,
  type SagaStatus,
  sagaStreamId,
  TERMINAL_SAGA_STATUSES,
} from './sagas/sagaLog.js';
export { evolveSaga, foldSaga, initialSagaState, type SagaLane, type SagaState } from './sagas/sagaState.js';
export { assertTimers, createInMemoryTimerStore, type DurableTimer, type InMemoryTimerStore, type TimerStore } from './sagas/timerStore.js';
export { type FlowStep, type FlowTrace, formatFlow, type TraceFlowOptions, traceFlow } from './sagas/traceFlow.js';
export {
  createCatchUpSubscription,
  createNotifier,
  type Notifier,
  type SubscribeOptions,
  type Subscription,
} from './subscription.js';
export { isUuid, uuidv7 } from './uuidv7.js';
