/**
 * Acks of one channel, coalesced: settled deliveries are acked once per event-loop turn with a single
 * `basic.ack(multiple=true)` up to the end of the settled prefix, instead of one frame per message.
 * amqplib writes frames at setImmediate anyway, so the broker sees the acks no later than before.
 *
 * Invariant: a multiple-ack of tag N acks every unacked tag ≤ N on the channel, and the broker rejects
 * it (PRECONDITION_FAILED, channel closed) unless N itself is unacked. So the batched ack only ever
 * covers a contiguous run of settled deliveries and names one that is still unacked; deliveries
 * settled behind a still-running one are acked one by one at the flush, so a slow message never holds
 * back the acks (and the prefetch window) of the ones after it.
 */
import type { Channel, Message } from 'amqplib';

const OPEN = 0;
/** Handled; its ack is not sent yet. */
const TO_ACK = 1;
/** Acked or nacked on the wire already. */
const DONE = 2;

export class AckBatcher {
  /** Delivery tags in delivery (= tag) order, from `head` on; states beside them. */
  private tags: number[] = [];
  private states: number[] = [];
  private head = 0;
  /** Entries in TO_ACK state behind an OPEN one. */
  private behindGap = 0;
  private scheduled = false;
  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly channel: Channel) {}

  /** Registers a delivery; call in delivery order. */
  track(raw: Message): void {
    this.tags.push(raw.fields.deliveryTag);
    this.states.push(OPEN);
  }

  /** The message was handled: ack it with the next flush. */
  ack(raw: Message): void {
    this.settle(raw.fields.deliveryTag, TO_ACK);
  }

  /** Sends a nack (requeue) for one message now; the batched acks skip it. */
  nack(raw: Message, requeue: boolean): void {
    if (this.settle(raw.fields.deliveryTag, DONE)) this.channel.nack(raw, false, requeue);
  }

  /** Sends every pending ack now (before closing the channel). */
  flush(): void {
    const { tags, states } = this;
    let lastToAck = -1;
    let i = this.head;
    while (i < tags.length && states[i] !== OPEN) {
      if (states[i] === TO_ACK) lastToAck = i;
      i += 1;
    }
    this.head = i;
    if (lastToAck >= 0) this.send(tags[lastToAck] as number, true);
    if (this.behindGap > 0) {
      for (let j = i; j < tags.length; j++) {
        if (states[j] !== TO_ACK) continue;
        states[j] = DONE;
        this.send(tags[j] as number, false);
      }
      this.behindGap = 0;
    }
    if (this.head === tags.length) {
      this.tags = [];
      this.states = [];
      this.head = 0;
    } else if (this.head > 1_024 || tags.length - this.head > 4_096) {
      // Drop the settled prefix, and the settled entries behind a long-running delivery, so the
      // arrays stay about as long as the deliveries still in flight.
      const keptTags: number[] = [];
      const keptStates: number[] = [];
      for (let j = this.head; j < tags.length; j++) {
        if (states[j] === DONE) continue;
        keptTags.push(tags[j] as number);
        keptStates.push(states[j] as number);
      }
      this.tags = keptTags;
      this.states = keptStates;
      this.head = 0;
    }
  }

  private settle(tag: number, state: number): boolean {
    // Tags are consecutive on a channel, so the entry is usually at `tag - first tag`; search otherwise.
    const { tags, states } = this;
    const first = tags[this.head];
    if (first === undefined) return false;
    let i = this.head + (tag - first);
    if (tags[i] !== tag) i = tags.indexOf(tag, this.head);
    if (i < 0 || states[i] !== OPEN) return false;
    states[i] = state;
    if (state === TO_ACK) {
      if (i !== this.head) this.behindGap += 1;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushSoon);
      }
    } else if (i === this.head && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
    return true;
  }

  private send(tag: number, multiple: boolean): void {
    try {
      this.channel.ack({ fields: { deliveryTag: tag } } as Message, multiple);
    } catch {
      // The channel closed: the broker requeues what it had not seen acked.
    }
  }
}
