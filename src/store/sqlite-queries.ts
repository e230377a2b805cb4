import { BATCH_COLUMNS, FILE_COLUMNS, ROW_ERROR_COLUMNS, RUN_COLUMNS } from './sqlite-rows';

/*
 * The SQL text the SQLite store runs, and how partial updates become SET clauses. Kept apart from
 * the store so that the store reads as logic and a test can EXPLAIN the hot queries.
 */

/** Queries whose plans matter at scale (a test checks that each one uses an index). */
export const SQLITE_QUERIES = {
  latestVersions:
    `SELECT ${FILE_COLUMNS} FROM files WHERE id IN (` +
    'SELECT (SELECT max(id) FROM files WHERE dataflow = @dataflow AND path = p.value) FROM json_each(@paths) AS p)',
  filesOfRun: `SELECT ${FILE_COLUMNS} FROM files WHERE run_id = ? ORDER BY id`,
  filesOfBatch: `SELECT ${FILE_COLUMNS} FROM files WHERE batch_id = ? ORDER BY id`,
  unsettledFiles: `SELECT ${FILE_COLUMNS} FROM files WHERE state IN ('pending', 'uploading', 'completing') ORDER BY id`,
  listRuns: `SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`,
  listRunsOfDataflow: `SELECT ${RUN_COLUMNS} FROM runs WHERE dataflow = ? ORDER BY started_at DESC, id DESC LIMIT ?`,
  runningRuns: `SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at, id`,
  batchesOfRun: `SELECT ${BATCH_COLUMNS} FROM batches WHERE run_id = ? ORDER BY created_at, id`,
  unsettledBatches: `SELECT ${BATCH_COLUMNS} FROM batches WHERE state IN ('uploading', 'completing') ORDER BY created_at, id`,
  rowErrorsOfRun: `SELECT ${ROW_ERROR_COLUMNS} FROM row_errors WHERE run_id = ? ORDER BY id LIMIT ?`,
} as const;

/** The store's other statements: single-row reads and writes by key. */
export const SQLITE_STATEMENTS = {
  createMigrationsTable:
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  appliedMigrations: 'SELECT version, name FROM schema_migrations ORDER BY version',
  migrationApplied: 'SELECT 1 FROM schema_migrations WHERE version = ?',
  insertMigration: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  insertFile:
    'INSERT INTO files (dataflow, path, fingerprint, size, modified_at, state, run_id, created_at, updated_at) ' +
    "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
  existingFileIds: 'SELECT id FROM files WHERE id IN (SELECT value FROM json_each(?))',
  insertRun: "INSERT INTO runs (id, dataflow, triggered_by, status, started_at) VALUES (?, ?, ?, 'running', ?)",
  runById: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`,
  insertBatch:
    'INSERT INTO batches (id, run_id, dataflow, dataset, external_id, state, created_at, updated_at) ' +
    "VALUES (?, ?, ?, ?, ?, 'uploading', ?, ?)",
  batchById: `SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`,
  insertRowError:
    'INSERT INTO row_errors (run_id, batch_id, file_id, file_path, row_number, line_number, column_name, field_path, code, message, created_at) ' +
    'VALUES (@runId, @batchId, @fileId, @file, @rowNumber, @lineNumber, @column, @field, @code, @message, @now)',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta:
    'INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ' +
    'ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
} as const;

export const FILE_PATCH_COLUMNS = { batchId: 'batch_id', records: 'records', error: 'error' };
export const BATCH_PATCH_COLUMNS = {
  state: 'state',
  platformStatus: 'platform_status',
  recordsIn: 'records_in',
  recordsOut: 'records_out',
  recordsFailed: 'records_failed',
  error: 'error',
};
export const RUN_RESULT_COLUMNS = {
  status: 'status',
  finishedAt: 'finished_at',
  filesTaken: 'files_taken',
  filesIngested: 'files_ingested',
  filesFailed: 'files_failed',
  recordsIn: 'records_in',
  recordsOut: 'records_out',
  recordsFailed: 'records_failed',
  bytes: 'bytes',
  batchIds: 'batch_ids',
  error: 'error',
  errorKind: 'error_kind',
  errorCode: 'error_code',
};

/**
 * `SET col = @col, …` for the keys of patch that are present and not undefined, taken from a
 * fixed key → column map (never from the patch itself, so no caller text reaches the SQL).
 */
export function setClause(columns: Readonly<Record<string, string>>, patch: object): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key];
    if (column === undefined || value === undefined) continue;
    parts.push(`${column} = @${column}`);
    params[column] = value;
  }
  return { sql: parts.join(', '), params };
}
