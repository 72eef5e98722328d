/**
 * The horizon below which the global log is final (invariant 2): every event whose transaction id is
 * below it is visible now or will never exist. The plain rule, pg_snapshot_xmin(pg_current_snapshot()),
 * waits for *every* running transaction of the whole cluster (xids are cluster-wide): a projection's
 * batch, a checkpoint write, another database's long transaction all hold every subscriber back
 * although none of them can add an event. This horizon waits only for transactions that may append:
 *
 *   horizon = least(xmax of the snapshot, min { x in the snapshot's xip : x is NOT a running non-writer })
 *
 * A writer is a transaction holding a lock on the events table. Appends take it before they get a
 * transaction id (the single-statement append locks the table when it starts; `store.transaction`
 * locks it right after BEGIN), and keep it until they end. So one read of pg_locks, taken after the
 * statement's snapshot, tells for each in-progress xid: still running and never locked the table →
 * it cannot append any more (ignore it); anything else (a writer, or finished since the snapshot) →
 * wait for it. Transactions opened with `{ appends: false }` (projection batches) are non-writers.
 * A transaction that is ending releases its table lock (fast path) and its xid lock (main table) one
 * after the other, and pg_lock_status() reads the fast-path locks first: it can look like a running
 * non-writer. But it left the running set before releasing any lock, so its status, read after the
 * locks (pg_xact_status, in the target list so it cannot run before them), is no longer 'in progress'
 * and it is waited for. Every doubt resolves to waiting.
 *
 * The statement's snapshot and pg_current_snapshot() are the same (READ COMMITTED, one statement).
 * `$events` is the events table's oid, bound as a parameter.
 *
 * Doubt makes one statement's horizon lower than an earlier statement's could be (a transaction of
 * another schema that ended between the snapshot and the lock read counts as a writer). A horizon stays
 * true once computed — every writer below it had ended, so later snapshots see all it let through — so
 * each store passes the highest it has seen (`floorParam`, an xid8 as text) and takes the greater: reads
 * of one store never see less of the log than an earlier read or `headPosition()` showed.
 * (Asking again whenever an ended transaction set the horizon was tried and dropped: under load appends
 * end all the time, so it would add a statement to many reads to save a moment of lag that subscribers
 * recover by polling; how many was not measured.)
 */
export function visibleHorizonCte(eventsOidParam: string, floorParam: string): string {
  return `locks AS MATERIALIZED (
      SELECT locktype, relation, virtualtransaction, transactionid::text::bigint AS xid32, mode, granted
      FROM pg_locks WHERE locktype IN ('transactionid', 'relation')),
    snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
    idle_xids AS MATERIALIZED (
      SELECT x, pg_xact_status(x) AS status FROM snap, pg_snapshot_xip(snap.s) AS x
      WHERE EXISTS (
        SELECT 1 FROM locks r
        WHERE r.locktype = 'transactionid' AND r.mode = 'ExclusiveLock' AND r.granted
          AND r.xid32 = x::text::bigint % 4294967296
          AND NOT EXISTS (
            SELECT 1 FROM locks w WHERE w.locktype = 'relation' AND w.relation = ${eventsOidParam}::oid
              AND w.virtualtransaction = r.virtualtransaction))),
    bound AS MATERIALIZED (
      SELECT min(x) AS x FROM snap, pg_snapshot_xip(snap.s) AS x
      WHERE x NOT IN (SELECT i.x FROM idle_xids i WHERE i.status = 'in progress')),
    horizon AS MATERIALIZED (
      SELECT greatest(${floorParam}::text::xid8, least(pg_snapshot_xmax(snap.s), bound.x)) AS h
      FROM snap, bound)`;
}
