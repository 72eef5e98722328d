import { describe, expect, test } from 'vitest';
import { createManualClock } from '../clock.js';
import { currentMessageContext } from '../cqrs/messageContext.js';
import { createInMemoryEventStore } from '../inMemoryEventStore.js';
import { createReactor } from './createReactor.js';
import { defineReaction } from './defineReaction.js';
import { createInMemoryTimerStore } from './timerStore.js';

describe('createReactor', () => {
  const setup = () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createInMemoryEventStore({ clock });
    const timers = createInMemoryTimerStore();
    const seen: string[] = [];
    const reactions = [
      defineReaction<{ type: 'TicketOpened'; data: { id: string } }>({
        name: 'AcknowledgeTicket',
        on: ['TicketOpened'],
        async handle(event, context) {
          seen.push(`${event.type}:${currentMessageContext()?.messageId === event.eventId}`);
          await context.emit(`ticket-${event.data.id}`, [{ type: 'TicketAcknowledged', data: { id: event.data.id } }]);
          await context.schedule(60_000, { id: event.data.id });
        },
        async onTimer(payload, context) {
          await context.emit(`ticket-${(payload as { id: string }).id}`, [{ type: 'TicketEscalated', data: payload }]);
        },
      }),
    ];
    const reactor = () => createReactor({ name: 'support', store, reactions, timers, clock });
    return { clock, store, timers, seen, reactor };
  };

  test('on X do Y emit Z, in the event context; a re-run after a lost checkpoint stores Z once', async () => {
    const { store, seen, reactor } = setup();
    await store.appendToStream('ticket-1', [{ type: 'TicketOpened', data: { id: '1' } }]);
    const [opened] = await store.readStream('ticket-1');
    await reactor().drain();
    await store.checkpoints.delete('reactor:support');
    await reactor().drain();
    const events = await store.readStream('ticket-1');
    expect(events.map((e) => e.type)).toEqual(['TicketOpened', 'TicketAcknowledged']);
    expect(events[1]).toMatchObject({ causationId: opened?.eventId, correlationId: opened?.eventId });
    expect(seen).toEqual(['TicketOpened:true', 'TicketOpened:true']);
  });

  test('a deadline scheduled before a restart fires after it, once', async () => {
    const { store, clock, timers, reactor } = setup();
    await store.appendToStream('ticket-2', [{ type: 'TicketOpened', data: { id: '2' } }]);
    await reactor().drain();
    clock.advance(59_999);
    await reactor().drain();
    expect((await store.readStream('ticket-2')).map((e) => e.type)).toEqual(['TicketOpened', 'TicketAcknowledged']);
    clock.advance(1);
    await reactor().drain(); // a new process: the deadline lives in the timer store
    await reactor().drain();
    expect((await store.readStream('ticket-2')).map((e) => e.type)).toEqual(['TicketOpened', 'TicketAcknowledged', 'TicketEscalated']);
    expect(await timers.pending('reactor:support')).toBe(0);
  });

  test('rejects reactions without a name or event types, and duplicate names', () => {
    expect(() => defineReaction({ name: '', on: ['X'], handle: () => undefined })).toThrow(expect.objectContaining({ path: 'reaction.name' }));
    expect(() => defineReaction({ name: 'A', on: [], handle: () => undefined })).toThrow(expect.objectContaining({ path: 'reaction.on' }));
    const a = defineReaction({ name: 'A', on: ['X'], handle: () => undefined });
    expect(() => createReactor({ name: 'r', store: createInMemoryEventStore(), reactions: [a, a] })).toThrow(
      expect.objectContaining({ code: 'EVENTFOLD_INVALID_INPUT' }),
    );
  });
});
