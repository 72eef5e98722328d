/**
 * A `balance += amount` read model on PostgreSQL used by this folder's tests and the kill test's
 * child process. `applied` counts how often each event was applied: exactly-once means all 1s.
 */
import { defineProjection, type Projection, type RecordedEvent } from '@eventfold/core';
import type pg from 'pg';

export type Credited = RecordedEvent<'AccountCredited', { amount: number }>;

export function balancesProjection(schema: string, options: { name?: string; afterEvent?: () => Promise<void> | void } = {}): Projection<pg.PoolClient> {
  const s = `"${schema.replace(/"/g, '')}"`;
  return defineProjection<pg.PoolClient, Credited>({
    name: options.name ?? 'balances',
    init: async (client) => {
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.balances (account text PRIMARY KEY, balance bigint NOT NULL)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.applied (global_position numeric PRIMARY KEY, times integer NOT NULL)`);
    },
    reset: async (client) => {
      await client.query(`TRUNCATE ${s}.balances, ${s}.applied`);
    },
    handlers: {
      async AccountCredited(event, client) {
        // One round trip for both writes: the balance and the exactly-once witness.
        await client.query({
          name: `balances.credit.${schema}`,
          text: `WITH credit AS (
                   INSERT INTO ${s}.balances (account, balance) VALUES ($1, $2)
                   ON CONFLICT (account) DO UPDATE SET balance = ${s}.balances.balance + excluded.balance)
                 INSERT INTO ${s}.applied (global_position, times) VALUES ($3::numeric, 1)
                 ON CONFLICT (global_position) DO UPDATE SET times = ${s}.applied.times + 1`,
          values: [event.streamId, event.data.amount, event.globalPosition.toString()],
        });
        await options.afterEvent?.();
      },
    },
  });
}

export async function readBalances(pool: pg.Pool, schema: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ account: string; balance: string }>(`SELECT account, balance FROM "${schema}".balances ORDER BY account`);
  return Object.fromEntries(rows.map((r) => [r.account, Number(r.balance)]));
}

export async function appliedCounts(pool: pg.Pool, schema: string): Promise<{ applied: number; doubled: number }> {
  const { rows } = await pool.query<{ applied: string; doubled: string }>(
    `SELECT count(*) AS applied, count(*) FILTER (WHERE times > 1) AS doubled FROM "${schema}".applied`,
  );
  return { applied: Number(rows[0]?.applied), doubled: Number(rows[0]?.doubled) };
}

/** The expected read model: a plain fold over every event in the log. */
export function replayBalances(events: readonly RecordedEvent[]): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const e of events) if (e.type === 'AccountCredited') balances[e.streamId] = (balances[e.streamId] ?? 0) + (e.data as { amount: number }).amount;
  return Object.fromEntries(Object.entries(balances).sort(([a], [b]) => (a < b ? -1 : 1)));
}
