import { Clock, systemClock } from '../lib/clock';
import { Logger, silentLogger } from '../lib/logger';
import type { Redact } from '../lib/redact';
import type { Db } from './db';
import { applyMigrations, Migration } from './migrations';
import { BATCH_PATCH_COLUMNS, FILE_PATCH_COLUMNS, hotQueries, insertFiles, RUN_RESULT_COLUMNS, setClause, statements } from './queries';
import * as rows from './rows';
import * as leases from './sql-leases';
import { NotificationOutbox } from './sql-outbox';
import { STORE_ERRORS, storeError, storeNotFound } from './store-errors';
import type {
  BatchPatch,
  BatchRecord,
  Fence,
  FileMove,
  FilePatch,
  FileState,
  ImportedBatch,
  ImportedFile,
  LedgerMark,
  LeaseAnswer,
  LeaseOwner,
  LeaseRecord,
  LedgerEntry,
  NewNotification,
  NewRowError,
  RowErrorRecord,
  RunRecord,
  RunResult,
  RunTrigger,
  Store,
  TakenVersion,
} from './types';

export interface SqlStoreOptions {
  logger?: Logger;
  /** Stamps createdAt/updatedAt, lease times and applied_at. */
  clock?: Clock;
  /** Applied to every error text and row-error message before it is kept: secrets never reach the store. */
  redact?: Redact;
}

const DEFAULT_LIST_LIMIT = 20;
const INSERT_CHUNKS = [500, 100, 20, 1];
const DEFAULT_ROW_ERRORS_LIMIT = 100;

/**
 * The Store on a SQL database (SQLite or PostgreSQL through `Db`). Each method is one
 * transaction; a run's writes check its fencing token inside the same transaction.
 */
export class SqlStore extends NotificationOutbox implements Store {
  readonly kind: 'sqlite' | 'postgres';
  private readonly q: ReturnType<typeof hotQueries>;
  private readonly sql: ReturnType<typeof statements>;
  private readonly logger: Logger;
  private readonly redact: Redact;

  constructor(
    db: Db,
    private readonly migrations: readonly Migration[],
    opts: SqlStoreOptions = {},
  ) {
    super(db, opts.clock ?? systemClock);
    this.kind = db.dialect.name;
    this.q = hotQueries(db.dialect);
    this.sql = statements(db.dialect);
    this.logger = opts.logger ?? silentLogger;
    this.redact = opts.redact ?? ((text) => text);
  }

  async migrate(): Promise<void> {
    await this.guard('migrate', () => applyMigrations(this.db, this.migrations, { logger: this.logger, now: () => this.now() }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  async ping(): Promise<void> {
    await this.guard('ping', () => this.db.get('SELECT 1 AS ok'));
  }

  acquireLease(dataflow: string, owner: LeaseOwner, opts: { ttlMs: number; takeOverFrom?: string }): Promise<LeaseAnswer> {
    return this.guard('acquireLease', () => leases.acquireLease(this.db, this.now(), dataflow, owner, opts));
  }

  renewLease(fence: Fence, processId: string, ttlMs: number): Promise<boolean> {
    return this.guard('renewLease', () => leases.renewLease(this.db, this.now(), fence, processId, ttlMs));
  }

  releaseLease(fence: Fence, processId: string): Promise<void> {
    return this.guard('releaseLease', () => leases.releaseLease(this.db, this.now(), fence, processId));
  }

  getLease(dataflow: string): Promise<LeaseRecord | undefined> {
    return this.guard('getLease', () => leases.getLease(this.db, dataflow));
  }

  listLeases(): Promise<LeaseRecord[]> {
    return this.guard('listLeases', () => leases.listLeases(this.db));
  }

  claimTick(dataflow: string, dueAt: Date, processId: string): Promise<boolean> {
    return this.guard('claimTick', () => leases.claimTick(this.db, this.now(), dataflow, dueAt, processId));
  }

  async latestVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>> {
    return this.guard('latestVersions', async () => {
      const found = new Map<string, LedgerEntry>();
      if (paths.length === 0) return found;
      // One bound JSON array, so no chunking against a parameter limit; each path is one seek
      // on files_latest (dataflow, path, id).
      for (const row of await this.db.all<rows.FileRow>(this.q.latestVersions, [dataflow, JSON.stringify(paths)])) {
        found.set(row.path, rows.toLedgerEntry(row));
      }
      return found;
    });
  }

  async ingestedVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>> {
    return this.guard('ingestedVersions', async () => {
      const found = new Map<string, LedgerEntry>();
      if (paths.length === 0) return found;
      for (const row of await this.db.all<rows.FileRow>(this.q.ingestedVersions, [dataflow, JSON.stringify(paths)])) found.set(row.path, rows.toLedgerEntry(row));
      return found;
    });
  }

  addPending(fence: Fence, runId: string, files: readonly TakenVersion[]): Promise<LedgerEntry[]> {
    return this.insertVersions('addPending', fence, runId, files.map((f) => ({ ...f, state: 'pending' as const, error: null })));
  }

  addSkipped(fence: Fence, runId: string, files: ReadonlyArray<TakenVersion & { reason: string }>): Promise<LedgerEntry[]> {
    return this.insertVersions('addSkipped', fence, runId, files.map((f) => ({ ...f, state: 'skipped' as const, error: f.reason })));
  }

  private async insertVersions(
    op: string,
    fence: Fence,
    runId: string,
    files: ReadonlyArray<TakenVersion & { state: FileState; error: string | null }>,
  ): Promise<LedgerEntry[]> {
    if (files.length === 0) return [];
    return this.fenced(op, fence, async (tx) => {
      const now = this.clock.now();
      const at = now.getTime();
      const ids = new Map<string, number>();
      for (let from = 0; from < files.length; ) {
        // Few distinct statement texts (each is prepared once per connection): 500, 100, 20 or 1 rows.
        const rows = INSERT_CHUNKS.find((n) => n <= files.length - from) ?? 1;
        const params = files
          .slice(from, from + rows)
          .flatMap((f) => [fence.dataflow, f.path, f.fingerprint, f.size, f.modifiedAt.getTime(), f.state, this.redacted(f.error), runId, f.supersedes ?? 0, at, at]);
        for (const r of await tx.all<{ id: number; path: string }>(insertFiles(rows), params)) ids.set(r.path, r.id);
        from += rows;
      }
      return files.map((f) => ({
        id: ids.get(f.path) as number,
        dataflow: fence.dataflow,
        path: f.path,
        fingerprint: f.fingerprint,
        size: f.size,
        modifiedAt: new Date(f.modifiedAt.getTime()),
        state: f.state,
        runId,
        batchId: null,
        records: null,
        error: this.redacted(f.error),
        createdAt: now,
        updatedAt: now,
      }));
    });
  }

  async importLedger(fence: Fence, runId: string, batches: readonly ImportedBatch[], files: readonly ImportedFile[], mark: LedgerMark): Promise<void> {
    await this.fenced('importLedger', fence, async (tx) => {
      const at = this.now();
      for (const b of batches) {
        await tx.run(this.sql.insertSettledBatch, [b.id, runId, fence.dataflow, b.dataset, b.externalId, b.platformStatus, b.recordsIn, b.recordsOut, b.recordsFailed, at, at]);
      }
      // supersedes 0: the first entry of its path; files_chain refuses a path the ledger already has.
      for (const f of files) {
        const [row] = await tx.all<{ id: number }>(insertFiles(1), [fence.dataflow, f.path, f.fingerprint, f.size, f.modifiedAt.getTime(), 'ingested', null, runId, 0, at, at]);
        await this.moveFiles(tx, { ids: [row.id], state: 'ingested', patch: { batchId: f.batchId } });
      }
      await tx.run(this.sql.markLedger, [fence.dataflow, mark.how, mark.detail, mark.at.getTime()]);
    });
  }

  async setFileState(fence: Fence, ids: readonly number[], state: FileState, patch: FilePatch = {}): Promise<void> {
    await this.fenced('setFileState', fence, (tx) => this.moveFiles(tx, { ids, state, patch }));
  }

  filesOfRun(runId: string): Promise<LedgerEntry[]> {
    return this.guard('filesOfRun', async () => (await this.db.all<rows.FileRow>(this.q.filesOfRun, [runId])).map(rows.toLedgerEntry));
  }

  pendingFilesOfRun(runId: string, opts: { afterId: number; limit: number }): Promise<LedgerEntry[]> {
    return this.guard('pendingFilesOfRun', async () => {
      const limit = positiveLimit('pendingFilesOfRun', opts.limit);
      return (await this.db.all<rows.FileRow>(this.q.pendingFilesOfRun, [runId, opts.afterId, limit])).map(rows.toLedgerEntry);
    });
  }

  filesOfBatch(batchId: string): Promise<LedgerEntry[]> {
    return this.guard('filesOfBatch', async () => (await this.db.all<rows.FileRow>(this.q.filesOfBatch, [batchId])).map(rows.toLedgerEntry));
  }

  unsettledFiles(dataflow: string): Promise<LedgerEntry[]> {
    return this.guard('unsettledFiles', async () => (await this.db.all<rows.FileRow>(this.q.unsettledFiles, [dataflow])).map(rows.toLedgerEntry));
  }

  dataflowsToSettle(): Promise<string[]> {
    return this.guard('dataflowsToSettle', async () => (await this.db.all<{ dataflow: string }>(this.sql.dataflowsToSettle)).map((r) => r.dataflow).sort());
  }

  async createRun(run: { id: string; dataflow: string; trigger: RunTrigger; startedAt: Date; owner?: LeaseOwner; finished?: RunResult }, fence?: Fence): Promise<RunRecord> {
    const insert = async (tx: Db) => {
      const o = run.owner;
      await tx.run(this.sql.insertRun, [run.id, run.dataflow, run.trigger, run.startedAt.getTime(), o?.processId ?? null, o?.host ?? null, o?.pid ?? null]);
      if (run.finished) {
        const set = this.resultSet(run.finished);
        await tx.run(`UPDATE runs SET ${set.sql} WHERE id = ?`, [...set.params, run.id]);
      }
      return this.runById(tx, run.id);
    };
    return fence ? this.fenced('createRun', fence, insert) : this.guard('createRun', () => this.db.write(insert));
  }

  /** The SET clause that records how a run ended. */
  private resultSet(result: RunResult): ReturnType<typeof setClause> {
    const values = {
      ...result,
      finishedAt: result.finishedAt.getTime(),
      batchIds: result.batchIds && JSON.stringify(result.batchIds),
      error: this.redacted(result.error),
    };
    return setClause(RUN_RESULT_COLUMNS, values);
  }

  async finishRun(id: string, result: RunResult, fence?: Fence, notify?: (run: RunRecord) => readonly NewNotification[]): Promise<RunRecord> {
    const set = this.resultSet(result);
    const update = async (tx: Db) => {
      if ((await tx.run(`UPDATE runs SET ${set.sql} WHERE id = ?`, [...set.params, id])) === 0) throw storeNotFound('run', id);
      const run = await this.runById(tx, id);
      if (notify) await this.insertNotifications(tx, notify(run));
      return run;
    };
    return fence ? this.fenced('finishRun', fence, update) : this.guard('finishRun', () => this.db.write(update));
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.guard('getRun', async () => {
      const row = await this.db.get<rows.RunRow>(this.sql.runById, [id]);
      return row && rows.toRunRecord(row);
    });
  }

  listRuns(opts: { dataflow?: string; limit?: number }): Promise<RunRecord[]> {
    return this.guard('listRuns', async () => {
      const limit = positiveLimit('listRuns', opts.limit ?? DEFAULT_LIST_LIMIT);
      const found =
        opts.dataflow === undefined
          ? await this.db.all<rows.RunRow>(this.q.listRuns, [limit])
          : await this.db.all<rows.RunRow>(this.q.listRunsOfDataflow, [opts.dataflow, limit]);
      return found.map(rows.toRunRecord);
    });
  }

  runningRuns(dataflow?: string): Promise<RunRecord[]> {
    return this.guard('runningRuns', async () => {
      const found = dataflow === undefined ? await this.db.all<rows.RunRow>(this.q.allRunningRuns) : await this.db.all<rows.RunRow>(this.q.runningRuns, [dataflow]);
      return found.map(rows.toRunRecord);
    });
  }

  createBatch(fence: Fence, batch: { id: string; runId: string; dataset: string; externalId: string }, files: readonly FileMove[] = []): Promise<BatchRecord> {
    return this.fenced('createBatch', fence, async (tx) => {
      const now = this.now();
      await tx.run(this.sql.insertBatch, [batch.id, batch.runId, fence.dataflow, batch.dataset, batch.externalId, now, now]);
      for (const move of files) await this.moveFiles(tx, move);
      return this.batchById(tx, batch.id);
    });
  }

  async updateBatch(fence: Fence, id: string, patch: BatchPatch, files: readonly FileMove[] = []): Promise<void> {
    const set = setClause(BATCH_PATCH_COLUMNS, { ...patch, error: this.redacted(patch.error) });
    const sql = `UPDATE batches SET updated_at = ?${set.sql ? `, ${set.sql}` : ''} WHERE id = ?`;
    await this.fenced('updateBatch', fence, async (tx) => {
      if ((await tx.run(sql, [this.now(), ...set.params, id])) === 0) throw storeNotFound('batch', id);
      for (const move of files) await this.moveFiles(tx, move);
    });
  }

  getBatch(id: string): Promise<BatchRecord | undefined> {
    return this.guard('getBatch', async () => {
      const row = await this.db.get<rows.BatchRow>(this.sql.batchById, [id]);
      return row && rows.toBatchRecord(row);
    });
  }

  batchesOfRun(runId: string): Promise<BatchRecord[]> {
    return this.guard('batchesOfRun', async () => (await this.db.all<rows.BatchRow>(this.q.batchesOfRun, [runId])).map(rows.toBatchRecord));
  }

  unsettledBatches(dataflow: string): Promise<BatchRecord[]> {
    return this.guard('unsettledBatches', async () => (await this.db.all<rows.BatchRow>(this.q.unsettledBatches, [dataflow])).map(rows.toBatchRecord));
  }

  async addRowErrors(fence: Fence, errors: readonly NewRowError[]): Promise<void> {
    if (errors.length === 0) return;
    await this.fenced('addRowErrors', fence, async (tx) => {
      const now = this.now();
      for (const e of errors) {
        const message = this.redact(e.message);
        await tx.run(this.sql.insertRowError, [e.runId, e.batchId, e.fileId, e.file, e.rowNumber, e.lineNumber, e.column, e.field, e.code, message, now]);
      }
    });
  }

  rowErrorsOfRun(runId: string, opts: { limit?: number } = {}): Promise<RowErrorRecord[]> {
    return this.guard('rowErrorsOfRun', async () => {
      const limit = positiveLimit('rowErrorsOfRun', opts.limit ?? DEFAULT_ROW_ERRORS_LIMIT);
      return (await this.db.all<rows.RowErrorRow>(this.q.rowErrorsOfRun, [runId, limit])).map(rows.toRowErrorRecord);
    });
  }

  /** Moves files to a state, inside the caller's transaction; throws (rolling it back) on an unknown id. */
  private async moveFiles(tx: Db, { ids, state, patch = {} }: FileMove): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const set = setClause(FILE_PATCH_COLUMNS, { ...patch, error: this.redacted(patch.error) });
    const sql = `UPDATE files SET state = ?, updated_at = ?${set.sql ? `, ${set.sql}` : ''} WHERE id IN (${this.db.dialect.idList})`;
    const changes = await tx.run(sql, [state, this.now(), ...set.params, this.db.dialect.ids(unique)]);
    if (changes !== unique.length) {
      const known = new Set((await tx.all<{ id: number }>(this.sql.existingFileIds, [this.db.dialect.ids(unique)])).map((r) => r.id));
      throw storeNotFound('file', unique.find((id) => !known.has(id)) ?? unique[0]);
    }
  }

  protected scrub(text: string): string {
    return this.redact(text);
  }

  /** Keeps undefined (not patched) and null (cleared) as they are. */
  private redacted<T extends string | null | undefined>(text: T): T {
    return (typeof text === 'string' ? this.redact(text) : text) as T;
  }

  private async runById(tx: Db, id: string): Promise<RunRecord> {
    const row = await tx.get<rows.RunRow>(this.sql.runById, [id]);
    if (!row) throw storeNotFound('run', id);
    return rows.toRunRecord(row);
  }

  private async batchById(tx: Db, id: string): Promise<BatchRecord> {
    const row = await tx.get<rows.BatchRow>(this.sql.batchById, [id]);
    if (!row) throw storeNotFound('batch', id);
    return rows.toBatchRecord(row);
  }
}

function positiveLimit(op: string, limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw storeError(STORE_ERRORS.invalidArgument, 'internal', `${op}: limit must be a positive integer, got ${limit}`);
  }
  return limit;
}

