import type { Channel, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ackBatcher.js';

const msg = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function recordingChannel() {
  const frames: string[] = [];
  const channel = {
    ack: (m: Message, multiple = false) => frames.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`),
    nack: (m: Message, multiple = false, requeue = true) =>
      frames.push(`nack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}${requeue ? ' requeue' : ''}`),
  } as unknown as Channel;
  return { channel, frames };
}

describe('AckBatcher', () => {
  it('acks a run of handled deliveries with one multiple-ack in the next turn', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 5; tag++) acks.track(msg(tag));
    for (let tag = 1; tag <= 5; tag++) acks.ack(msg(tag));
    expect(frames).toEqual([]);
    await nextTurn();
    expect(frames).toEqual(['ack 5 multiple']);
  });

  it('never covers a delivery still running; acks the ones behind it singly', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 5; tag++) acks.track(msg(tag));
    acks.ack(msg(1));
    acks.ack(msg(2));
    acks.ack(msg(4));
    acks.ack(msg(5));
    await nextTurn();
    expect(frames).toEqual(['ack 2 multiple', 'ack 4', 'ack 5']);
    acks.ack(msg(3));
    await nextTurn();
    expect(frames.slice(3)).toEqual(['ack 3 multiple']);
  });

  it('sends a nack at once and ends the multiple-ack before a nacked tag', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    for (let tag = 1; tag <= 3; tag++) acks.track(msg(tag));
    acks.ack(msg(1));
    acks.ack(msg(2));
    acks.nack(msg(3), true);
    expect(frames).toEqual(['nack 3 requeue']);
    await nextTurn();
    expect(frames).toEqual(['nack 3 requeue', 'ack 2 multiple']);
    // A nack in the middle: the multiple-ack names the last acked tag after it.
    for (let tag = 4; tag <= 6; tag++) acks.track(msg(tag));
    acks.ack(msg(4));
    acks.nack(msg(5), true);
    acks.ack(msg(6));
    await nextTurn();
    expect(frames.slice(2)).toEqual(['nack 5 requeue', 'ack 6 multiple']);
  });

  it('flush() sends pending acks synchronously and ignores a second settle of the same tag', () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    acks.track(msg(7));
    acks.track(msg(8));
    acks.ack(msg(7));
    acks.ack(msg(7));
    acks.flush();
    expect(frames).toEqual(['ack 7 multiple']);
    acks.ack(msg(8));
    acks.flush();
    acks.flush();
    expect(frames).toEqual(['ack 7 multiple', 'ack 8 multiple']);
  });

  it('survives a closed channel (ack throws)', async () => {
    const channel = {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as unknown as Channel;
    const acks = new AckBatcher(channel);
    acks.track(msg(1));
    acks.ack(msg(1));
    await nextTurn();
    expect(() => acks.flush()).not.toThrow();
  });

  it('keeps its memory bounded behind a delivery that never finishes', async () => {
    const { channel, frames } = recordingChannel();
    const acks = new AckBatcher(channel);
    acks.track(msg(1));
    for (let tag = 2; tag <= 20_000; tag++) {
      acks.track(msg(tag));
      acks.ack(msg(tag));
      if (tag % 100 === 0) acks.flush();
    }
    acks.flush();
    expect(frames).toHaveLength(19_999);
    expect((acks as unknown as { tags: number[] }).tags.length).toBeLessThan(5_000);
    acks.ack(msg(1));
    acks.flush();
    expect(frames.at(-1)).toBe('ack 1 multiple');
  });
});
