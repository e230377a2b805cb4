/**
 * The ledger and run history (DESIGN.md §1, §6). One interface, two implementations: SQLite
 * (default) and PostgreSQL (several replicas). Every method is one durable transaction.
 */

/**
 * What became of one file version.
 * - pending: taken by a run, not yet in a batch
 * - uploading: being uploaded into `batchId`
 * - completing: its batch was sent COMPLETE; Platform decides
 * - ingested: Platform accepted it (final)
 * - failed: Platform rejected it (final for this version; a changed file is a new version)
 * - error: the run could not deliver it (source or network trouble): taken again by a later run
 * - vanished: gone between listing and reading: taken again if it reappears
 */
export type FileState = 'pending' | 'uploading' | 'completing' | 'ingested' | 'failed' | 'error' | 'vanished';

export interface FileVersion {
  path: string;
  /** etag when the connector tracks content by etag, else `size:mtimeMs` truncated to its precision. */
  fingerprint: string;
  size: number;
  modifiedAt: Date;
}

export interface LedgerEntry extends FileVersion {
  id: number;
  dataflow: string;
  state: FileState;
  runId: string;
  batchId: string | null;
  records: number | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type RunStatus = 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'skipped';
export type RunTrigger = 'schedule' | 'manual' | 'once' | 'api';

export interface RunCounts {
  filesTaken: number;
  filesIngested: number;
  filesFailed: number;
  recordsIn: number;
  recordsOut: number;
  recordsFailed: number;
  bytes: number;
}

/** How a run ended, as finishRun records it. */
export type RunResult = Partial<RunCounts> & {
  status: RunStatus;
  finishedAt: Date;
  batchIds?: string[];
  error?: string | null;
  errorKind?: string | null;
  errorCode?: string | null;
};

export interface RunRecord extends RunCounts {
  id: string;
  dataflow: string;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  batchIds: string[];
  /** The first error, or why the run was skipped. */
  error: string | null;
  /** The first error's kind (src/lib/errors.ts: auth, not_found, permission, transient, data, …). */
  errorKind: string | null;
  /** The first error's stable code (ERR_SFTP_AUTH, a Platform batch error code, …). */
  errorCode: string | null;
}

export type BatchState = 'uploading' | 'completing' | 'succeeded' | 'failed' | 'aborted';

export interface BatchRecord {
  id: string;
  runId: string;
  dataflow: string;
  dataset: string;
  externalId: string;
  state: BatchState;
  /** Platform's own status word (success, failed, …) once known. */
  platformStatus: string | null;
  recordsIn: number | null;
  recordsOut: number | null;
  recordsFailed: number | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface FilePatch {
  batchId?: string | null;
  records?: number | null;
  error?: string | null;
}

/**
 * Files moved together with a batch change, in the same transaction: each step of a batch
 * (DESIGN.md §6: uploading, completing, settled) is one durable transaction for the batch and
 * all its files, so recovery never sees half a step.
 */
export interface FileMove {
  ids: readonly number[];
  state: FileState;
  patch?: FilePatch;
}

/** A row rejected before upload (src/prep row errors), kept per run, batch and file. */
export interface NewRowError {
  runId: string;
  batchId: string | null;
  /** The ledger entry of the file. */
  fileId: number | null;
  /** The source file's path. */
  file: string;
  rowNumber: number | null;
  lineNumber: number | null;
  /** CSV column or JSON source path. */
  column: string | null;
  /** XDM field, as a dot path. */
  field: string | null;
  code: string;
  message: string;
}

export interface RowErrorRecord extends NewRowError {
  id: number;
  createdAt: Date;
}

export interface Store {
  /** Applies pending versioned migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap reachability check for /readyz. */
  ping(): Promise<void>;

  /** The newest ledger entry for each of these paths of a dataflow (indexed lookups; callers chunk). */
  latestVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /** Records taken file versions as `pending` for the run. */
  addPending(dataflow: string, runId: string, files: readonly FileVersion[]): Promise<LedgerEntry[]>;
  setFileState(ids: readonly number[], state: FileState, patch?: FilePatch): Promise<void>;
  filesOfRun(runId: string): Promise<LedgerEntry[]>;
  filesOfBatch(batchId: string): Promise<LedgerEntry[]>;
  /** Entries left pending or uploading or completing: what crash recovery must settle. */
  unsettledFiles(): Promise<LedgerEntry[]>;

  createRun(run: { id: string; dataflow: string; trigger: RunTrigger; startedAt: Date }): Promise<RunRecord>;
  finishRun(id: string, result: RunResult): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(opts: { dataflow?: string; limit?: number }): Promise<RunRecord[]>;
  /** Runs left `running` by a process that died. */
  runningRuns(): Promise<RunRecord[]>;

  /** A new batch in `uploading`, and the given file moves, in one transaction. */
  createBatch(batch: { id: string; runId: string; dataflow: string; dataset: string; externalId: string }, files?: readonly FileMove[]): Promise<BatchRecord>;
  /** Patches a batch and applies the given file moves, in one transaction (all or nothing). */
  updateBatch(
    id: string,
    patch: Partial<Pick<BatchRecord, 'state' | 'platformStatus' | 'recordsIn' | 'recordsOut' | 'recordsFailed' | 'error'>>,
    files?: readonly FileMove[],
  ): Promise<void>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  batchesOfRun(runId: string): Promise<BatchRecord[]>;
  /** Batches in `uploading` or `completing`. */
  unsettledBatches(): Promise<BatchRecord[]>;

  /** Rows rejected before upload (ingestion.errorDiagnostics), in one transaction. */
  addRowErrors(errors: readonly NewRowError[]): Promise<void>;
  /** A run's row errors in the order they were added, up to `limit` (default 100). */
  rowErrorsOfRun(runId: string, opts?: { limit?: number }): Promise<RowErrorRecord[]>;

  /** Key/value of small daemon facts, e.g. which `once` definitions already ran. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}
