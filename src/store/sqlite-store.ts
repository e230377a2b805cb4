import Database from 'better-sqlite3';
import { Clock, systemClock } from '../lib/clock';
import { Logger, silentLogger } from '../lib/logger';
import { pendingMigrations, type AppliedMigration } from './migrations';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import { BATCH_PATCH_COLUMNS, FILE_PATCH_COLUMNS, RUN_RESULT_COLUMNS, SQLITE_QUERIES, SQLITE_STATEMENTS as SQL, setClause } from './sqlite-queries';
import * as rows from './sqlite-rows';
import { STORE_ERRORS, fromSqliteError, storeClosed, storeError, storeNotFound } from './store-errors';
import type { BatchRecord, FileMove, FilePatch, FileState, FileVersion, LedgerEntry, NewRowError, RowErrorRecord, RunRecord, RunResult, RunTrigger, Store } from './types';

export interface SqliteStoreOptions {
  logger?: Logger;
  /** Stamps createdAt/updatedAt and applied_at. */
  clock?: Clock;
  /** How long a write waits for another connection's write lock before failing as busy. */
  busyTimeoutMs?: number;
}

const DEFAULT_LIST_LIMIT = 20;
const DEFAULT_ROW_ERRORS_LIMIT = 100;

/**
 * The Store on SQLite (better-sqlite3). Calls are synchronous underneath; each method is one
 * transaction, and write transactions are BEGIN IMMEDIATE so that two connections (a daemon and
 * a CLI command) queue on busy_timeout instead of failing on a read-to-write lock upgrade.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(filename: string, opts: SqliteStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.db = new Database(filename, { timeout: opts.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      // Exactly-once needs every state change durable before the next Platform call: if a
      // `completing` mark were lost after COMPLETE was sent, recovery would abort a batch Platform
      // accepted and ingest its files twice. WAL + NORMAL survives a process crash but may lose
      // the last commits on power loss or an OS crash; FULL fsyncs the WAL at each commit. Commits
      // happen per batch step, not per record, so that fsync is cheap.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async migrate(): Promise<void> {
    this.guard('migrate', () => {
      this.db.exec(SQL.createMigrationsTable);
      for (const m of pendingMigrations(SQLITE_MIGRATIONS, this.all<AppliedMigration>(SQL.appliedMigrations))) {
        const done = this.write(() => {
          // Another process may have applied it since we looked.
          if (this.get(SQL.migrationApplied, m.version)) return false;
          this.db.exec(m.sql);
          this.run(SQL.insertMigration, m.version, m.name, this.now());
          return true;
        });
        if (done) this.logger.info({ version: m.version, name: m.name }, 'store migration applied');
      }
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    this.guard('ping', () => this.get('SELECT 1'));
  }

  async latestVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>> {
    return this.guard('latestVersions', () => {
      const found = new Map<string, LedgerEntry>();
      if (paths.length === 0) return found;
      // One bound JSON array, so no chunking against SQLite's variable limit; each path is one
      // seek on files_latest (dataflow, path, id).
      const params = { dataflow, paths: JSON.stringify(paths) };
      for (const row of this.all<rows.FileRow>(SQLITE_QUERIES.latestVersions, params)) found.set(row.path, rows.toLedgerEntry(row));
      return found;
    });
  }

  async addPending(dataflow: string, runId: string, files: readonly FileVersion[]): Promise<LedgerEntry[]> {
    return this.guard('addPending', () => {
      if (files.length === 0) return [];
      const insert = this.statement(SQL.insertFile);
      return this.write(() => {
        const now = this.clock.now();
        const at = now.getTime();
        return files.map((f): LedgerEntry => {
          const { lastInsertRowid } = insert.run(dataflow, f.path, f.fingerprint, f.size, f.modifiedAt.getTime(), runId, at, at);
          return {
            id: Number(lastInsertRowid),
            dataflow,
            path: f.path,
            fingerprint: f.fingerprint,
            size: f.size,
            modifiedAt: new Date(f.modifiedAt.getTime()),
            state: 'pending',
            runId,
            batchId: null,
            records: null,
            error: null,
            createdAt: now,
            updatedAt: now,
          };
        });
      });
    });
  }

  async setFileState(ids: readonly number[], state: FileState, patch: FilePatch = {}): Promise<void> {
    this.guard('setFileState', () => this.write(() => this.moveFiles({ ids, state, patch })));
  }

  async filesOfRun(runId: string): Promise<LedgerEntry[]> {
    return this.guard('filesOfRun', () => this.all<rows.FileRow>(SQLITE_QUERIES.filesOfRun, runId).map(rows.toLedgerEntry));
  }

  async filesOfBatch(batchId: string): Promise<LedgerEntry[]> {
    return this.guard('filesOfBatch', () => this.all<rows.FileRow>(SQLITE_QUERIES.filesOfBatch, batchId).map(rows.toLedgerEntry));
  }

  async unsettledFiles(): Promise<LedgerEntry[]> {
    return this.guard('unsettledFiles', () => this.all<rows.FileRow>(SQLITE_QUERIES.unsettledFiles).map(rows.toLedgerEntry));
  }

  async createRun(run: { id: string; dataflow: string; trigger: RunTrigger; startedAt: Date }): Promise<RunRecord> {
    return this.guard('createRun', () =>
      this.write(() => {
        this.run(SQL.insertRun, run.id, run.dataflow, run.trigger, run.startedAt.getTime());
        return this.runById(run.id);
      }),
    );
  }

  async finishRun(id: string, result: RunResult): Promise<RunRecord> {
    return this.guard('finishRun', () => {
      const values = { ...result, finishedAt: result.finishedAt.getTime(), batchIds: result.batchIds && JSON.stringify(result.batchIds) };
      const set = setClause(RUN_RESULT_COLUMNS, values);
      return this.write(() => {
        if (this.run(`UPDATE runs SET ${set.sql} WHERE id = @id`, { ...set.params, id }).changes === 0) throw storeNotFound('run', id);
        return this.runById(id);
      });
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.guard('getRun', () => {
      const row = this.get<rows.RunRow>(SQL.runById, id);
      return row && rows.toRunRecord(row);
    });
  }

  async listRuns(opts: { dataflow?: string; limit?: number }): Promise<RunRecord[]> {
    return this.guard('listRuns', () => {
      const limit = opts.limit ?? DEFAULT_LIST_LIMIT;
      if (!Number.isInteger(limit) || limit < 1) {
        throw storeError(STORE_ERRORS.invalidArgument, 'internal', `listRuns: limit must be a positive integer, got ${limit}`);
      }
      const found =
        opts.dataflow === undefined
          ? this.all<rows.RunRow>(SQLITE_QUERIES.listRuns, limit)
          : this.all<rows.RunRow>(SQLITE_QUERIES.listRunsOfDataflow, opts.dataflow, limit);
      return found.map(rows.toRunRecord);
    });
  }

  async runningRuns(): Promise<RunRecord[]> {
    return this.guard('runningRuns', () => this.all<rows.RunRow>(SQLITE_QUERIES.runningRuns).map(rows.toRunRecord));
  }

  async createBatch(batch: { id: string; runId: string; dataflow: string; dataset: string; externalId: string }, files: readonly FileMove[] = []): Promise<BatchRecord> {
    return this.guard('createBatch', () =>
      this.write(() => {
        const now = this.now();
        this.run(SQL.insertBatch, batch.id, batch.runId, batch.dataflow, batch.dataset, batch.externalId, now, now);
        for (const move of files) this.moveFiles(move);
        return this.batchById(batch.id);
      }),
    );
  }

  async updateBatch(
    id: string,
    patch: Partial<Pick<BatchRecord, 'state' | 'platformStatus' | 'recordsIn' | 'recordsOut' | 'recordsFailed' | 'error'>>,
    files: readonly FileMove[] = [],
  ): Promise<void> {
    this.guard('updateBatch', () => {
      const set = setClause(BATCH_PATCH_COLUMNS, patch);
      const sql = `UPDATE batches SET updated_at = @now${set.sql ? `, ${set.sql}` : ''} WHERE id = @id`;
      this.write(() => {
        if (this.run(sql, { ...set.params, now: this.now(), id }).changes === 0) throw storeNotFound('batch', id);
        for (const move of files) this.moveFiles(move);
      });
    });
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    return this.guard('getBatch', () => {
      const row = this.get<rows.BatchRow>(SQL.batchById, id);
      return row && rows.toBatchRecord(row);
    });
  }

  async batchesOfRun(runId: string): Promise<BatchRecord[]> {
    return this.guard('batchesOfRun', () => this.all<rows.BatchRow>(SQLITE_QUERIES.batchesOfRun, runId).map(rows.toBatchRecord));
  }

  async unsettledBatches(): Promise<BatchRecord[]> {
    return this.guard('unsettledBatches', () => this.all<rows.BatchRow>(SQLITE_QUERIES.unsettledBatches).map(rows.toBatchRecord));
  }

  async addRowErrors(errors: readonly NewRowError[]): Promise<void> {
    this.guard('addRowErrors', () => {
      if (errors.length === 0) return;
      const insert = this.statement(SQL.insertRowError);
      this.write(() => {
        const now = this.now();
        for (const e of errors) insert.run({ ...e, now });
      });
    });
  }

  async rowErrorsOfRun(runId: string, opts: { limit?: number } = {}): Promise<RowErrorRecord[]> {
    return this.guard('rowErrorsOfRun', () => {
      const limit = opts.limit ?? DEFAULT_ROW_ERRORS_LIMIT;
      if (!Number.isInteger(limit) || limit < 1) {
        throw storeError(STORE_ERRORS.invalidArgument, 'internal', `rowErrorsOfRun: limit must be a positive integer, got ${limit}`);
      }
      return this.all<rows.RowErrorRow>(SQLITE_QUERIES.rowErrorsOfRun, runId, limit).map(rows.toRowErrorRecord);
    });
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.guard('getMeta', () => this.get<{ value: string }>(SQL.getMeta, key)?.value);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.guard('setMeta', () => this.write(() => this.run(SQL.setMeta, key, value, this.now())));
  }

  /** Moves files to a state, inside the caller's transaction; throws (rolling it back) on an unknown id. */
  private moveFiles({ ids, state, patch = {} }: FileMove): void {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const set = setClause(FILE_PATCH_COLUMNS, patch);
    const sql =
      `UPDATE files SET state = @state, updated_at = @now${set.sql ? `, ${set.sql}` : ''} ` + 'WHERE id IN (SELECT value FROM json_each(@ids))';
    const { changes } = this.run(sql, { ...set.params, state, now: this.now(), ids: JSON.stringify(unique) });
    if (changes !== unique.length) {
      const known = new Set(this.all<{ id: number }>(SQL.existingFileIds, JSON.stringify(unique)).map((r) => r.id));
      throw storeNotFound('file', unique.find((id) => !known.has(id)) ?? unique[0]);
    }
  }

  private runById(id: string): RunRecord {
    const row = this.get<rows.RunRow>(SQL.runById, id);
    if (!row) throw storeNotFound('run', id);
    return rows.toRunRecord(row);
  }

  private batchById(id: string): BatchRecord {
    const row = this.get<rows.BatchRow>(SQL.batchById, id);
    if (!row) throw storeNotFound('batch', id);
    return rows.toBatchRecord(row);
  }

  /** Runs fn with the store open, and reports any failure as a store error naming the operation. */
  private guard<T>(op: string, fn: () => T): T {
    if (!this.db.open) throw storeClosed(op);
    try {
      return fn();
    } catch (err) {
      throw fromSqliteError(err, op);
    }
  }

  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private statement(sql: string): Database.Statement<unknown[]> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private all<R>(sql: string, ...params: unknown[]): R[] {
    return this.statement(sql).all(...params) as R[];
  }

  private get<R = unknown>(sql: string, ...params: unknown[]): R | undefined {
    return this.statement(sql).get(...params) as R | undefined;
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.statement(sql).run(...params);
  }
}
