import type { BatchRecord, BatchState, FileState, LeaseRecord, LedgerEntry, RowErrorRecord, RunRecord, RunStatus, RunTrigger } from './types';

/**
 * Rows as the database returns them (snake_case, epoch milliseconds, JSON text; the same in
 * SQLite and PostgreSQL) and their mapping to the Store's records. Column lists are spelled out
 * so that a query never depends on column order.
 */
export interface FileRow {
  id: number;
  dataflow: string;
  path: string;
  fingerprint: string;
  size: number;
  modified_at: number;
  state: string;
  run_id: string;
  batch_id: string | null;
  records: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface RunRow {
  id: string;
  dataflow: string;
  triggered_by: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  files_taken: number;
  files_ingested: number;
  files_failed: number;
  files_refused: number;
  records_in: number;
  records_out: number;
  records_failed: number;
  bytes: number;
  batch_ids: string;
  error: string | null;
  error_kind: string | null;
  error_code: string | null;
  process_id: string | null;
  host: string | null;
  pid: number | null;
}

export interface BatchRow {
  id: string;
  run_id: string;
  dataflow: string;
  dataset: string;
  external_id: string;
  state: string;
  platform_status: string | null;
  records_in: number | null;
  records_out: number | null;
  records_failed: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export const FILE_COLUMNS =
  'id, dataflow, path, fingerprint, size, modified_at, state, run_id, batch_id, records, error, created_at, updated_at';

export const RUN_COLUMNS =
  'id, dataflow, triggered_by, status, started_at, finished_at, files_taken, files_ingested, files_failed, files_refused, ' +
  'records_in, records_out, records_failed, bytes, batch_ids, error, error_kind, error_code, process_id, host, pid';

export const BATCH_COLUMNS =
  'id, run_id, dataflow, dataset, external_id, state, platform_status, records_in, records_out, records_failed, ' +
  'error, created_at, updated_at';

export function toLedgerEntry(r: FileRow): LedgerEntry {
  return {
    id: r.id,
    dataflow: r.dataflow,
    path: r.path,
    fingerprint: r.fingerprint,
    size: r.size,
    modifiedAt: new Date(r.modified_at),
    state: r.state as FileState,
    runId: r.run_id,
    batchId: r.batch_id,
    records: r.records,
    error: r.error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export function toRunRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    dataflow: r.dataflow,
    trigger: r.triggered_by as RunTrigger,
    status: r.status as RunStatus,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
    filesTaken: r.files_taken,
    filesIngested: r.files_ingested,
    filesFailed: r.files_failed,
    filesRefused: r.files_refused,
    recordsIn: r.records_in,
    recordsOut: r.records_out,
    recordsFailed: r.records_failed,
    bytes: r.bytes,
    batchIds: JSON.parse(r.batch_ids) as string[],
    error: r.error,
    errorKind: r.error_kind,
    errorCode: r.error_code,
    owner: r.process_id === null ? null : { processId: r.process_id, host: r.host ?? '', pid: r.pid ?? 0 },
  };
}

export function toBatchRecord(r: BatchRow): BatchRecord {
  return {
    id: r.id,
    runId: r.run_id,
    dataflow: r.dataflow,
    dataset: r.dataset,
    externalId: r.external_id,
    state: r.state as BatchState,
    platformStatus: r.platform_status,
    recordsIn: r.records_in,
    recordsOut: r.records_out,
    recordsFailed: r.records_failed,
    error: r.error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export interface RowErrorRow {
  id: number;
  run_id: string;
  batch_id: string | null;
  file_id: number | null;
  file_path: string;
  row_number: number | null;
  line_number: number | null;
  column_name: string | null;
  field_path: string | null;
  code: string;
  message: string;
  created_at: number;
}

export const ROW_ERROR_COLUMNS =
  'id, run_id, batch_id, file_id, file_path, row_number, line_number, column_name, field_path, code, message, created_at';

export function toRowErrorRecord(r: RowErrorRow): RowErrorRecord {
  return {
    id: r.id,
    runId: r.run_id,
    batchId: r.batch_id,
    fileId: r.file_id,
    file: r.file_path,
    rowNumber: r.row_number,
    lineNumber: r.line_number,
    column: r.column_name,
    field: r.field_path,
    code: r.code,
    message: r.message,
    createdAt: new Date(r.created_at),
  };
}

export interface LeaseRow {
  dataflow: string;
  token: number;
  process_id: string;
  host: string;
  pid: number;
  acquired_at: number;
  heartbeat_at: number;
  expires_at: number;
  released_at: number | null;
}

export const LEASE_COLUMNS = 'dataflow, token, process_id, host, pid, acquired_at, heartbeat_at, expires_at, released_at';

export function toLeaseRecord(r: LeaseRow): LeaseRecord {
  return {
    dataflow: r.dataflow,
    token: r.token,
    processId: r.process_id,
    host: r.host,
    pid: r.pid,
    acquiredAt: new Date(r.acquired_at),
    heartbeatAt: new Date(r.heartbeat_at),
    expiresAt: new Date(r.expires_at),
    releasedAt: r.released_at === null ? null : new Date(r.released_at),
  };
}
