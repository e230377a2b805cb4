import type { Db } from './db';
import { TypedState } from './sql-state';
import type { NewNotification, NotificationAttempt, NotificationRecord, NotificationState } from './types';

/*
 * The notification outbox (state migration 5): rows written with their run's final record, then
 * claimed, attempted and settled by whichever process drains it (src/notify/drain.ts).
 */

const COLUMNS =
  'id, dataflow, run_id, event, webhook, endpoint, body, state, attempts, next_at, last_status, last_error, created_at, updated_at, delivered_at';

interface NotificationRow {
  id: string;
  dataflow: string;
  run_id: string | null;
  event: string;
  webhook: string;
  endpoint: string;
  body: string;
  state: string;
  attempts: number;
  next_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

function toRecord(r: NotificationRow): NotificationRecord {
  return {
    id: r.id,
    dataflow: r.dataflow,
    runId: r.run_id,
    event: r.event,
    webhook: r.webhook,
    endpoint: r.endpoint,
    body: r.body,
    state: r.state as NotificationState,
    attempts: r.attempts,
    nextAt: new Date(r.next_at),
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    deliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at),
  };
}

/** Due, and not claimed by a live claim. */
const CLAIMABLE = "state = 'pending' AND next_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)";

const SQL = {
  insert:
    'INSERT INTO notifications (id, dataflow, run_id, event, webhook, endpoint, body, state, attempts, next_at, created_at, updated_at) ' +
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
  candidates: `SELECT id FROM notifications WHERE ${CLAIMABLE} ORDER BY next_at, id LIMIT ?`,
  candidatesOfRun: `SELECT id FROM notifications WHERE run_id = ? AND ${CLAIMABLE} ORDER BY next_at, id LIMIT ?`,
  // The condition is checked again by the UPDATE itself: of two processes claiming the same row,
  // the second one's UPDATE (after the first commits, in PostgreSQL) matches nothing.
  claim: `UPDATE notifications SET claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND ${CLAIMABLE}`,
  byId: `SELECT ${COLUMNS} FROM notifications WHERE id = ?`,
  delivered:
    "UPDATE notifications SET state = 'delivered', last_status = ?, last_error = NULL, delivered_at = ?, updated_at = ?, claimed_by = NULL, claim_expires_at = NULL " +
    "WHERE id = ? AND claimed_by = ? AND state = 'pending'",
  failed:
    'UPDATE notifications SET state = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ?, claimed_by = NULL, claim_expires_at = NULL ' +
    "WHERE id = ? AND claimed_by = ? AND state = 'pending'",
  nextDue: "SELECT min(next_at) AS at FROM notifications WHERE state = 'pending'",
  nextDueOfRun: "SELECT min(next_at) AS at FROM notifications WHERE run_id = ? AND state = 'pending'",
  list: `SELECT ${COLUMNS} FROM notifications ORDER BY created_at DESC, id DESC LIMIT ?`,
  listOfDataflow: `SELECT ${COLUMNS} FROM notifications WHERE dataflow = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  listOfRun: `SELECT ${COLUMNS} FROM notifications WHERE run_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
};

export abstract class NotificationOutbox extends TypedState {
  /** Error texts are scrubbed of the config's secrets before they are kept. */
  protected abstract scrub(text: string): string;

  /** Inside the caller's transaction (the one that closes the run). */
  protected async insertNotifications(tx: Db, rows: readonly NewNotification[]): Promise<void> {
    const now = this.now();
    for (const n of rows) {
      await tx.run(SQL.insert, [n.id, n.dataflow, n.runId, n.event, n.webhook, n.endpoint, this.scrub(n.body), now, now, now]);
    }
  }

  claimNotifications(processId: string, opts: { limit: number; claimMs: number; runId?: string }): Promise<NotificationRecord[]> {
    return this.guard('claimNotifications', () =>
      this.db.write(async (tx) => {
        const now = this.now();
        const ids =
          opts.runId === undefined
            ? await tx.all<{ id: string }>(SQL.candidates, [now, now, opts.limit])
            : await tx.all<{ id: string }>(SQL.candidatesOfRun, [opts.runId, now, now, opts.limit]);
        const claimed: NotificationRecord[] = [];
        for (const { id } of ids) {
          if ((await tx.run(SQL.claim, [processId, now + opts.claimMs, now, id, now, now])) === 0) continue;
          claimed.push(toRecord((await tx.get<NotificationRow>(SQL.byId, [id])) as NotificationRow));
        }
        return claimed;
      }),
    );
  }

  async settleNotification(id: string, processId: string, attempt: NotificationAttempt): Promise<void> {
    await this.guard('settleNotification', async () => {
      const now = this.now();
      if (attempt.delivered) {
        await this.db.write((tx) => tx.run(SQL.delivered, [attempt.status, now, now, id, processId]));
        return;
      }
      const state: NotificationState = attempt.retryAt === null ? 'failed' : 'pending';
      const nextAt = attempt.retryAt?.getTime() ?? now;
      await this.db.write((tx) => tx.run(SQL.failed, [state, nextAt, attempt.status, this.scrub(attempt.error), now, id, processId]));
    });
  }

  nextNotificationAt(runId?: string): Promise<Date | undefined> {
    return this.guard('nextNotificationAt', async () => {
      const row = runId === undefined ? await this.db.get<{ at: number | null }>(SQL.nextDue) : await this.db.get<{ at: number | null }>(SQL.nextDueOfRun, [runId]);
      return row?.at === null || row?.at === undefined ? undefined : new Date(Number(row.at));
    });
  }

  listNotifications(opts: { dataflow?: string; runId?: string; limit?: number }): Promise<NotificationRecord[]> {
    return this.guard('listNotifications', async () => {
      const limit = opts.limit ?? 20;
      const found =
        opts.runId !== undefined
          ? await this.db.all<NotificationRow>(SQL.listOfRun, [opts.runId, limit])
          : opts.dataflow !== undefined
            ? await this.db.all<NotificationRow>(SQL.listOfDataflow, [opts.dataflow, limit])
            : await this.db.all<NotificationRow>(SQL.list, [limit]);
      return found.map(toRecord);
    });
  }
}
