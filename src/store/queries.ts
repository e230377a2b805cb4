import type { Dialect } from './db';
import { BATCH_COLUMNS, FILE_COLUMNS, LEASE_COLUMNS, ROW_ERROR_COLUMNS, RUN_COLUMNS } from './rows';

/*
 * The SQL text the store runs, written once for both databases (`?` placeholders; the dialect
 * fills in what differs), and how partial updates become SET clauses. Kept apart from the store
 * so that the store reads as logic and a test can EXPLAIN the hot queries.
 */

const UNSETTLED_FILE = "state IN ('pending', 'uploading', 'completing')";
const UNSETTLED_BATCH = "state IN ('uploading', 'completing')";

/** Queries whose plans matter at scale (a test checks that each one uses an index). */
export function hotQueries(d: Dialect) {
  return memo(hot, d, buildHotQueries);
}

/** The store's other statements: single-row reads and writes by key. */
export function statements(d: Dialect) {
  return memo(other, d, buildStatements);
}

const hot = new Map<string, ReturnType<typeof buildHotQueries>>();
const other = new Map<string, ReturnType<typeof buildStatements>>();

function memo<T>(cache: Map<string, T>, d: Dialect, build: (d: Dialect) => T): T {
  let found = cache.get(d.name);
  if (!found) cache.set(d.name, (found = build(d)));
  return found;
}

function buildHotQueries(d: Dialect) {
  return {
    latestVersions:
      `SELECT ${FILE_COLUMNS} FROM files WHERE id IN (` +
      `SELECT (SELECT max(id) FROM files WHERE dataflow = ? AND path = p.value) FROM ${d.textList('p')})`,
    ingestedVersions:
      `SELECT ${FILE_COLUMNS} FROM files WHERE id IN (` +
      `SELECT (SELECT max(id) FROM files WHERE dataflow = ? AND path = p.value AND state = 'ingested') FROM ${d.textList('p')})`,
    filesOfRun: `SELECT ${FILE_COLUMNS} FROM files WHERE run_id = ? ORDER BY id`,
    pendingFilesOfRun: `SELECT ${FILE_COLUMNS} FROM files WHERE run_id = ? AND id > ? AND state = 'pending' AND batch_id IS NULL ORDER BY id LIMIT ?`,
    filesOfBatch: `SELECT ${FILE_COLUMNS} FROM files WHERE batch_id = ? ORDER BY id`,
    unsettledFiles: `SELECT ${FILE_COLUMNS} FROM files WHERE dataflow = ? AND ${UNSETTLED_FILE} ORDER BY id`,
    listRuns: `SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`,
    listRunsOfDataflow: `SELECT ${RUN_COLUMNS} FROM runs WHERE dataflow = ? ORDER BY started_at DESC, id DESC LIMIT ?`,
    runningRuns: `SELECT ${RUN_COLUMNS} FROM runs WHERE dataflow = ? AND status = 'running' ORDER BY started_at, id`,
    allRunningRuns: `SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'running' ORDER BY started_at, id`,
    batchesOfRun: `SELECT ${BATCH_COLUMNS} FROM batches WHERE run_id = ? ORDER BY created_at, id`,
    unsettledBatches: `SELECT ${BATCH_COLUMNS} FROM batches WHERE dataflow = ? AND ${UNSETTLED_BATCH} ORDER BY created_at, id`,
    rowErrorsOfRun: `SELECT ${ROW_ERROR_COLUMNS} FROM row_errors WHERE run_id = ? ORDER BY id LIMIT ?`,
    batchIntents: 'SELECT external_id FROM batch_intents WHERE run_id = ? ORDER BY id',
    owedAfterIngest: 'SELECT batch_id FROM after_ingest_owed WHERE dataflow = ? ORDER BY created_at, batch_id',
  };
}

function buildStatements(d: Dialect) {
  return {
    createMigrationsTable:
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    appliedMigrations: 'SELECT version, name FROM schema_migrations ORDER BY version',
    migrationApplied: 'SELECT 1 AS applied FROM schema_migrations WHERE version = ?',
    insertMigration: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',

    existingFileIds: `SELECT id FROM files WHERE id IN (${d.idList})`,
    dataflowsToSettle:
      `SELECT dataflow FROM runs WHERE status = 'running' UNION SELECT dataflow FROM batches WHERE ${UNSETTLED_BATCH} ` +
      `UNION SELECT dataflow FROM files WHERE ${UNSETTLED_FILE}`,

    insertRun:
      'INSERT INTO runs (id, dataflow, triggered_by, status, started_at, process_id, host, pid) ' + "VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
    runById: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`,
    insertBatch:
      'INSERT INTO batches (id, run_id, dataflow, dataset, external_id, state, created_at, updated_at) ' + "VALUES (?, ?, ?, ?, ?, 'uploading', ?, ?)",
    batchById: `SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`,
    insertRowError:
      'INSERT INTO row_errors (run_id, batch_id, file_id, file_path, row_number, line_number, column_name, field_path, code, message, created_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',

    fence: `SELECT token, released_at FROM leases WHERE dataflow = ?${d.forShare}`,
    leaseRow: `SELECT ${LEASE_COLUMNS} FROM leases WHERE dataflow = ?`,
    lockLease: `SELECT ${LEASE_COLUMNS} FROM leases WHERE dataflow = ?${d.forUpdate}`,
    listLeases: `SELECT ${LEASE_COLUMNS} FROM leases WHERE token > 0 ORDER BY dataflow`,
    // A released placeholder, so that the row exists to be locked: token 0 is never granted.
    placeholderLease:
      'INSERT INTO leases (dataflow, token, process_id, host, pid, acquired_at, heartbeat_at, expires_at, released_at) ' +
      "VALUES (?, 0, '', '', 0, 0, 0, 0, 0) ON CONFLICT (dataflow) DO NOTHING",
    grantLease:
      'UPDATE leases SET token = token + 1, process_id = ?, host = ?, pid = ?, acquired_at = ?, heartbeat_at = ?, expires_at = ?, ' +
      'released_at = NULL WHERE dataflow = ?',
    renewLease:
      'UPDATE leases SET heartbeat_at = ?, expires_at = ? WHERE dataflow = ? AND token = ? AND process_id = ? AND released_at IS NULL',
    releaseLease: 'UPDATE leases SET released_at = ?, expires_at = ? WHERE dataflow = ? AND token = ? AND process_id = ? AND released_at IS NULL',
    claimTick: 'INSERT INTO tick_claims (dataflow, due_at, process_id, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (dataflow, due_at) DO NOTHING',
    reclaimTick: 'UPDATE tick_claims SET process_id = ?, claimed_at = ? WHERE dataflow = ? AND due_at = ? AND claimed_at > ?',
    forgetTicks: 'DELETE FROM tick_claims WHERE dataflow = ? AND due_at < ?',

    insertIntent: 'INSERT INTO batch_intents (external_id, run_id, created_at) VALUES (?, ?, ?) ON CONFLICT (external_id) DO NOTHING',
    oweAfterIngest: 'INSERT INTO after_ingest_owed (batch_id, dataflow, created_at) VALUES (?, ?, ?) ON CONFLICT (batch_id) DO NOTHING',
    payAfterIngest: `DELETE FROM after_ingest_owed WHERE dataflow = ? AND batch_id IN (SELECT value FROM ${d.textList('b')})`,
    seenVersion: 'SELECT fingerprint, seen_at FROM seen_versions WHERE dataflow = ? AND path = ?',
    recordSeen:
      'INSERT INTO seen_versions (dataflow, path, fingerprint, seen_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (dataflow, path) DO UPDATE SET fingerprint = excluded.fingerprint, seen_at = excluded.seen_at',
    backfillFrom: 'SELECT since FROM backfill_marks WHERE dataflow = ?',
    ledgerMark: 'SELECT how, detail, marked_at FROM ledger_marks WHERE dataflow = ?',
    markLedger:
      'INSERT INTO ledger_marks (dataflow, how, detail, marked_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (dataflow) DO UPDATE SET how = excluded.how, detail = excluded.detail, marked_at = excluded.marked_at',
    anyFileOf: 'SELECT id FROM files WHERE dataflow = ? LIMIT 1',
    insertSettledBatch:
      'INSERT INTO batches (id, run_id, dataflow, dataset, external_id, state, platform_status, records_in, records_out, records_failed, created_at, updated_at) ' +
      "VALUES (?, ?, ?, ?, ?, 'succeeded', ?, ?, ?, ?, ?, ?)",
    markBackfill: 'INSERT INTO backfill_marks (dataflow, since) VALUES (?, ?) ON CONFLICT (dataflow) DO NOTHING',
    onceRun: 'SELECT definition_hash, run_id, ran_at FROM once_runs WHERE dataflow = ?',
    recordOnce:
      'INSERT INTO once_runs (dataflow, definition_hash, run_id, ran_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (dataflow) DO UPDATE SET definition_hash = excluded.definition_hash, run_id = excluded.run_id, ran_at = excluded.ran_at',
  };
}

const insertFileTexts = new Map<number, string>();

/** An INSERT of `rows` file versions (11 parameters each), answering each row's id and path. */
export function insertFiles(rows: number): string {
  let sql = insertFileTexts.get(rows);
  if (!sql) {
    const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    sql = `INSERT INTO files (dataflow, path, fingerprint, size, modified_at, state, error, run_id, supersedes, created_at, updated_at) VALUES ${values} RETURNING id, path`;
    insertFileTexts.set(rows, sql);
  }
  return sql;
}

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
  filesRefused: 'files_refused',
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
 * `SET col = ?, …` for the keys of patch that are present and not undefined, taken from a fixed
 * key → column map (never from the patch itself, so no caller text reaches the SQL).
 */
export function setClause(columns: Readonly<Record<string, string>>, patch: object): { sql: string; params: Array<string | number | null> } {
  const parts: string[] = [];
  const params: Array<string | number | null> = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key];
    if (column === undefined || value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value as string | number | null);
  }
  return { sql: parts.join(', '), params };
}
