/**
 * Dead letters kept in an event store, shared by the store transport and the direct transport: a
 * group's letters live in the stream `$inproc-dlq/<hash>` (see storeMessageCodec.ts), and removing
 * letters is a compare-and-set on that stream's version, so concurrent replays or purges never
 * remove a letter twice.
 */
import { ConcurrencyError } from '../../errors.js';
import type { EventStore } from '../../eventStore.js';
import { type Binding, requireGroup } from '../bindings.js';
import { type DeadLetter, type DeadLetterQueue, fromDeadLetterMessage } from '../deadLetter.js';
import { DEAD_LETTER_REMOVED, DEAD_LETTERED, deadLetterStream, eventToStoredMessage } from './storeMessageCodec.js';

export interface StoreDeadLettersOptions {
  store: Pick<EventStore, 'appendToStream' | 'readStream'>;
  assertOpen: () => void;
  /** Delivers a letter's message again; the letter is removed only after this resolved. */
  redeliver: (binding: Binding, letter: DeadLetter) => Promise<void>;
}

export function createStoreDeadLetters(options: StoreDeadLettersOptions): DeadLetterQueue {
  const { store } = options;

  const readLetters = async (binding: Binding) => {
    const stream = deadLetterStream(binding.destination, requireGroup(binding));
    const events = await store.readStream(stream);
    const letters = new Map<string, DeadLetter>();
    for (const event of events) {
      if (event.type === DEAD_LETTERED) {
        const message = eventToStoredMessage(event);
        if (message !== undefined) letters.set(event.eventId, fromDeadLetterMessage(event.eventId, message));
      } else if (event.type === DEAD_LETTER_REMOVED) {
        letters.delete(String((event.data as { deadLetterId?: unknown }).deadLetterId));
      }
    }
    return { stream, version: events.length === 0 ? 0 : (events.at(-1)?.streamPosition ?? 0), letters: [...letters.values()] };
  };

  /** Removes letters with a compare-and-set on the DLQ stream; resolves with the ones this call removed. */
  const remove = async (binding: Binding, ids: readonly string[] | undefined, before?: (chosen: DeadLetter[]) => Promise<void>) => {
    for (;;) {
      const { stream, version, letters } = await readLetters(binding);
      const wanted = ids;
      const chosen = wanted === undefined ? letters : letters.filter((l) => wanted.includes(l.deadLetterId));
      if (chosen.length === 0) return chosen;
      await before?.(chosen);
      try {
        await store.appendToStream(
          stream,
          chosen.map((l) => ({ type: DEAD_LETTER_REMOVED, data: { deadLetterId: l.deadLetterId } })),
          { expectedVersion: version },
        );
        return chosen;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // Someone else changed the DLQ (another replay or purge): look again. A duplicate delivery is deduped by inboxes.
        before = undefined;
        const again = await readLetters(binding);
        const stillThere = chosen.filter((c) => again.letters.some((l) => l.deadLetterId === c.deadLetterId));
        if (stillThere.length === 0) return [];
        ids = stillThere.map((l) => l.deadLetterId);
      }
    }
  };

  return {
    async list(binding, listOptions = {}) {
      return (await readLetters(binding)).letters.slice(0, listOptions.limit ?? 100);
    },
    async inspect(binding, id) {
      return (await readLetters(binding)).letters.find((l) => l.deadLetterId === id);
    },
    async replay(binding, ids) {
      options.assertOpen();
      // Deliver first, then remove: a crash in between replays twice (inboxes dedupe) instead of losing the letter.
      const removed = await remove(binding, ids, async (chosen) => {
        for (const letter of chosen) await options.redeliver(binding, letter);
      });
      return removed.length;
    },
    async purge(binding, ids) {
      return (await remove(binding, ids)).length;
    },
  };
}
