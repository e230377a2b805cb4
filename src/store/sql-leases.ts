import type { Db } from './db';
import { statements } from './queries';
import { LeaseRow, toLeaseRecord } from './rows';
import { leaseLost } from './store-errors';
import type { Fence, LeaseAnswer, LeaseOwner, LeaseRecord } from './types';

/*
 * Leases and tick claims on any Db (sql-store.ts delegates here). A lease row per dataflow is
 * created once and kept: its token only grows, so a stale holder's token never matches again.
 */

/** Tick claims older than this are forgotten: no scheduler asks about a tick a day old. */
const TICK_MEMORY_MS = 24 * 3600_000;

export async function acquireLease(db: Db, now: number, dataflow: string, owner: LeaseOwner, opts: { ttlMs: number; takeOverFrom?: string }): Promise<LeaseAnswer> {
  const sql = statements(db.dialect);
  return db.write(async (tx) => {
    await tx.run(sql.placeholderLease, [dataflow]);
    const row = (await tx.get<LeaseRow>(sql.lockLease, [dataflow])) as LeaseRow;
    const free = row.released_at !== null || row.expires_at <= now || (opts.takeOverFrom !== undefined && row.process_id === opts.takeOverFrom);
    if (!free) return { granted: false, holder: toLeaseRecord(row) };
    await tx.run(sql.grantLease, [owner.processId, owner.host, owner.pid, now, now, now + opts.ttlMs, dataflow]);
    const granted = toLeaseRecord((await tx.get<LeaseRow>(sql.leaseRow, [dataflow])) as LeaseRow);
    return row.token === 0 ? { granted: true, lease: granted } : { granted: true, lease: granted, previous: toLeaseRecord(row) };
  });
}

export async function renewLease(db: Db, now: number, fence: Fence, processId: string, ttlMs: number): Promise<boolean> {
  const sql = statements(db.dialect);
  return (await db.run(sql.renewLease, [now, now + ttlMs, fence.dataflow, fence.token, processId])) === 1;
}

export async function releaseLease(db: Db, now: number, fence: Fence, processId: string): Promise<void> {
  await db.run(statements(db.dialect).releaseLease, [now, now, fence.dataflow, fence.token, processId]);
}

export async function getLease(db: Db, dataflow: string): Promise<LeaseRecord | undefined> {
  const row = await db.get<LeaseRow>(statements(db.dialect).leaseRow, [dataflow]);
  return row && row.token > 0 ? toLeaseRecord(row) : undefined;
}

export async function listLeases(db: Db): Promise<LeaseRecord[]> {
  return (await db.all<LeaseRow>(statements(db.dialect).listLeases)).map(toLeaseRecord);
}

/**
 * A claim made more than this far in the claimer's future was made before the clock was stepped
 * back (an NTP correction, a VM restored from a snapshot): its tick comes round again and is
 * claimed anew. Within it, replicas' clocks may simply differ a little.
 */
const CLOCK_STEP_MS = 60_000;

export async function claimTick(db: Db, now: number, dataflow: string, dueAt: Date, processId: string): Promise<boolean> {
  const sql = statements(db.dialect);
  return db.write(async (tx) => {
    const claimed =
      (await tx.run(sql.claimTick, [dataflow, dueAt.getTime(), processId, now])) === 1 ||
      (await tx.run(sql.reclaimTick, [processId, now, dataflow, dueAt.getTime(), now + CLOCK_STEP_MS])) === 1;
    if (claimed) await tx.run(sql.forgetTicks, [dataflow, dueAt.getTime() - TICK_MEMORY_MS]);
    return claimed;
  });
}

/** Inside a write: throws unless `fence` is still its dataflow's live lease. */
export async function checkFence(tx: Db, fence: Fence): Promise<void> {
  const row = await tx.get<{ token: number; released_at: number | null }>(statements(tx.dialect).fence, [fence.dataflow]);
  if (!row || row.token !== fence.token || row.released_at !== null) {
    throw leaseLost(fence.dataflow, fence.token, row && { token: row.token, released: row.released_at !== null });
  }
}
