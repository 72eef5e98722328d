/**
 * The flow tracer: rebuilds one business transaction across services from correlation and
 * causation ids — the answer to "nobody can follow a choreography". Every event of the flow shares
 * the correlation id; each names the message that caused it, so the flow is a tree in global order.
 */
import { type GlobalPosition, type JsonValue, type RecordedEvent, START } from '../envelope.js';
import { InvalidInputError } from '../errors.js';
import type { EventStore } from '../eventStore.js';

export interface FlowStep {
  /** 1-based, in global order. */
  index: number;
  eventId: string;
  type: string;
  streamId: string;
  globalPosition: GlobalPosition;
  occurredAt: Date;
  /** The event that caused this one, when it is part of the flow. */
  causedBy: { eventId: string; type: string } | undefined;
  /** Distance from the flow's first event along causation links (0 for a root). */
  depth: number;
  data: JsonValue;
}

export interface FlowTrace {
  correlationId: string;
  steps: FlowStep[];
}

export interface TraceFlowOptions {
  /** Scan from this position (e.g. a little before the flow began). Default: the start of the log. */
  after?: GlobalPosition;
  /** Stop scanning after this position. Default: the head. */
  until?: GlobalPosition;
  /** Events read per query. Default 1,000. */
  pageSize?: number;
}

/**
 * Scans the log for one correlation id (O(log size) from `after`; put a bound on it for big stores).
 *
 * @example
 * console.log(formatFlow(await traceFlow(store, orderPlaced.correlationId)));
 */
export async function traceFlow(store: Pick<EventStore, 'readAll'>, correlationId: string, options: TraceFlowOptions = {}): Promise<FlowTrace> {
  if (typeof correlationId !== 'string' || correlationId.length === 0)
    throw new InvalidInputError('correlationId', 'must be the non-empty id shared by the flow.');
  const pageSize = options.pageSize ?? 1_000;
  const found: RecordedEvent[] = [];
  let after = options.after ?? START;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    for (const event of page) {
      if (options.until !== undefined && event.globalPosition > options.until) return build(correlationId, found);
      if (event.correlationId === correlationId || (event.correlationId === undefined && event.eventId === correlationId)) found.push(event);
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]?.globalPosition ?? after;
  }
  return build(correlationId, found);
}

function build(correlationId: string, events: readonly RecordedEvent[]): FlowTrace {
  const byId = new Map<string, FlowStep>();
  const steps = events.map((event, i): FlowStep => {
    const parent = event.causationId === undefined ? undefined : byId.get(event.causationId);
    const step: FlowStep = {
      index: i + 1,
      eventId: event.eventId,
      type: event.type,
      streamId: event.streamId,
      globalPosition: event.globalPosition,
      occurredAt: event.occurredAt,
      causedBy: parent && { eventId: parent.eventId, type: parent.type },
      depth: parent ? parent.depth + 1 : 0,
      data: event.data,
    };
    byId.set(event.eventId, step);
    return step;
  });
  return { correlationId, steps };
}

/** One line per event, indented by causation depth: `3.     PaymentCharged  (payment-o1) ← ChargePayment`. */
export function formatFlow(trace: FlowTrace): string {
  const width = Math.max(0, ...trace.steps.map((s) => s.depth * 2 + s.type.length));
  const lines = trace.steps.map((s) => {
    const label = `${'  '.repeat(s.depth)}${s.type}`.padEnd(width);
    const command = s.type === 'SagaCommandIssued' ? (s.data as { command?: { type?: string; to?: string | null } }).command : undefined;
    const detail = command ? ` [${command.type}${command.to ? ` → ${command.to}` : ''}]` : '';
    return `${String(s.index).padStart(3)}. ${label}  (${s.streamId})${detail}${s.causedBy ? ` ← ${s.causedBy.type}` : ''}`;
  });
  return [`flow ${trace.correlationId}: ${trace.steps.length} events`, ...lines].join('\n');
}
