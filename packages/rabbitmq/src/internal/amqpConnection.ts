/**
 * One AMQP connection that comes back by itself. amqplib 2.3's recovery reconnects with backoff;
 * on every (re)connect we run the registered hooks in order — redeclare topology, reopen the
 * publisher channel and republish unconfirmed messages, resubscribe consumers — so nothing above
 * this file has to know a connection was lost.
 */
import { EventfoldError } from '@eventfold/core';
import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';

export interface ReconnectOptions {
  /** First delay after a lost connection, ms. Default 100. */
  initialDelayMs?: number;
  /** Cap of the delay, ms. Default 5,000. */
  maxDelayMs?: number;
  /** Default 2. */
  multiplier?: number;
  /** ±fraction. Default 0.2. */
  jitter?: number;
  /** Attempts at start-up before `connect` fails. Default 5. Reconnects after a loss never give up. */
  initialAttempts?: number;
}

export interface AmqpConnectionOptions {
  url: string;
  /** Client-provided connection name, shown by `rabbitmqctl list_connections client_properties`. */
  connectionName: string;
  reconnect?: ReconnectOptions;
  /** Heartbeat in seconds; a dead peer is noticed within about twice this. Default 10. */
  heartbeatSeconds?: number;
  /** Called with errors of hooks run after a reconnect (they are retried on the next reconnect). */
  onError: (error: unknown) => void;
}

/** Runs after each successful (re)connect, in registration order. */
export type ConnectHook = (model: ChannelModel, generation: number) => Promise<void>;

export interface AmqpConnection {
  readonly connectionName: string;
  /** Connections made so far, the first included. */
  readonly generation: number;
  /** The live connection, or undefined while reconnecting. */
  current(): ChannelModel | undefined;
  /** The live connection once its hooks ran (topology declared…), waiting for a reconnect if needed. */
  ready(): Promise<ChannelModel>;
  /**
   * Runs `fn` on the live connection; if the connection drops while it runs (the failure is the
   * drop's, not `fn`'s), runs it again on the next one, up to 3 times.
   */
  withModel<T>(fn: (model: ChannelModel) => Promise<T>): Promise<T>;
  /** Registers a hook and, if connected, runs it now for the live connection. */
  onConnect(hook: ConnectHook): Promise<void>;
  removeHook(hook: ConnectHook): void;
  close(): Promise<void>;
}

export async function openAmqpConnection(options: AmqpConnectionOptions): Promise<AmqpConnection> {
  const r = options.reconnect ?? {};
  const hooks: ConnectHook[] = [];
  let model: ChannelModel | undefined;
  /** Set once the hooks of `model` ran; what `ready()` hands out. */
  let readyModel: ChannelModel | undefined;
  let generation = 0;
  let closed = false;
  let waiters: Array<{ resolve: (m: ChannelModel) => void; reject: (error: unknown) => void }> = [];
  // Hooks of one connection run strictly after those of the previous one.
  let hookChain: Promise<void> = Promise.resolve();

  // amqplib takes the heartbeat from the URL's query; a value already in the URL wins.
  const url = new URL(options.url);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 10));
  const recovering: RecoveringChannelModel = await amqp.connect(url.toString(), {
    clientProperties: { connection_name: options.connectionName },
    // amqplib leaves Nagle's algorithm on: a small frame written while the previous one is unacknowledged
    // waits for the broker's delayed ACK (~40 ms on Linux), so each publish, confirm and ack could cost a
    // hop that much. Frames are already coalesced per event-loop turn, so nothing is gained by Nagle.
    noDelay: true,
    recovery: {
      initialDelay: r.initialDelayMs ?? 100,
      maxDelay: r.maxDelayMs ?? 5_000,
      factor: r.multiplier ?? 2,
      jitter: r.jitter ?? 0.2,
      maxRetries: Number.POSITIVE_INFINITY,
      initialMaxRetries: Math.max(0, (r.initialAttempts ?? 5) - 1),
      waitForConnect: false,
    },
  });

  recovering.on('error', (error: unknown) => options.onError(error));
  recovering.on('disconnect', () => {
    model = undefined;
    readyModel = undefined;
  });
  recovering.on('connect', (connected: ChannelModel) => {
    model = connected;
    generation += 1;
    const gen = generation;
    connected.on('error', () => {});
    hookChain = hookChain.then(async () => {
      for (const hook of [...hooks]) {
        if (model !== connected) return;
        try {
          await hook(connected, gen);
        } catch (error) {
          options.onError(error);
        }
      }
      if (model === connected) {
        readyModel = connected;
        const ws = waiters;
        waiters = [];
        for (const w of ws) w.resolve(connected);
      }
    });
  });

  try {
    await recovering.waitForConnect();
  } catch (error) {
    await recovering.close().catch(() => {});
    throw new EventfoldError(
      'EVENTFOLD_TRANSPORT_UNAVAILABLE',
      `Could not connect to RabbitMQ: ${(error as Error).message}. Check that the broker runs and the URL, user and vhost are right.`,
      {
        cause: error,
        retryable: true,
      },
    );
  }
  await hookChain;

  const connection: AmqpConnection = {
    connectionName: options.connectionName,
    get generation() {
      return generation;
    },
    current: () => model,
    ready() {
      if (closed) return Promise.reject(new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport is closed; create a new one.'));
      if (readyModel !== undefined) return Promise.resolve(readyModel);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async withModel(fn) {
      for (let attempt = 1; ; attempt++) {
        const m = await connection.ready();
        try {
          return await fn(m);
        } catch (error) {
          if (closed || model === m || attempt >= 3) throw error;
        }
      }
    },
    async onConnect(hook) {
      hooks.push(hook);
      if (model !== undefined) {
        const m = model;
        const gen = generation;
        const run = hookChain.then(() => (model === m ? hook(m, gen) : undefined));
        hookChain = run.catch(() => {});
        await run;
      }
    },
    removeHook(hook) {
      const i = hooks.indexOf(hook);
      if (i >= 0) hooks.splice(i, 1);
    },
    async close() {
      if (closed) return;
      closed = true;
      model = undefined;
      readyModel = undefined;
      for (const w of waiters.splice(0))
        w.reject(new EventfoldError('EVENTFOLD_TRANSPORT_CLOSED', 'The RabbitMQ transport closed while waiting for a connection.'));
      await recovering.close().catch(() => {});
    },
  };
  return connection;
}
