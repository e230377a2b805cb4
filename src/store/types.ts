/**
 * The ledger, leases and run history (DESIGN.md §1, §6). One interface, one implementation over
 * two databases: SQLite (default) and PostgreSQL (several replicas). Every method is one durable
 * transaction.
 *
 * Who works on what lives here, never in a process's memory (STYLE.md rule 13): a run of a
 * dataflow holds the dataflow's lease, and every write it makes to the ledger, its batches and
 * its run carries the lease's fencing token (`Fence`). A write whose token is no longer the
 * lease's is refused (ERR_LEASE_LOST), so a process that stalled past its lease's expiry cannot
 * overwrite the work of the process that took over.
 */

/** A process that may hold leases: a daemon, a replica, a `dataflowd run`. */
export interface LeaseOwner {
  /** Random per process: tells two processes apart even when a host reuses a pid. */
  processId: string;
  host: string;
  pid: number;
}

/** The lease a run writes under: its dataflow and the token it was granted. */
export interface Fence {
  dataflow: string;
  token: number;
}

export interface LeaseRecord extends LeaseOwner {
  dataflow: string;
  /** Grows by one with every grant: the fencing token. */
  token: number;
  acquiredAt: Date;
  heartbeatAt: Date;
  expiresAt: Date;
  /** Set when the holder let go of it cleanly; null while held (or when its holder died). */
  releasedAt: Date | null;
}

export type LeaseAnswer =
  /** `previous`: the lease as it was before this grant, when someone held it before. */
  | { granted: true; lease: LeaseRecord; previous?: LeaseRecord }
  | { granted: false; holder: LeaseRecord };

/**
 * What became of one file version.
 * - pending: taken by a run, not yet in a batch
 * - uploading: being uploaded into `batchId`
 * - completing: its batch was sent COMPLETE; Platform decides
 * - ingested: Platform accepted it (final)
 * - failed: Platform rejected it (final for this version; a changed file is a new version)
 * - error: the run could not deliver it (source or network trouble): taken again by a later run
 * - vanished: gone between listing and reading: taken again if it reappears
 * - skipped: a version the run could not take at all (a name no storage or Platform can carry):
 *   final for this version, kept so that the run's files show it with its reason
 */
export type FileState = 'pending' | 'uploading' | 'completing' | 'ingested' | 'failed' | 'error' | 'vanished' | 'skipped';

export interface FileVersion {
  path: string;
  /** etag when the connector tracks content by etag, else `size:mtimeMs` truncated to its precision. */
  fingerprint: string;
  size: number;
  modifiedAt: Date;
}

/** A version a run takes, with the ledger entry it succeeds (from the same read of the ledger). */
export interface TakenVersion extends FileVersion {
  /** The id of the path's newest entry when the run read the ledger; null for a path never seen. */
  supersedes: number | null;
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

/** `cancelled`: stopped by the user (Ctrl-C) or a stop of dataflowd, with what it did until then. */
export type RunStatus = 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'skipped' | 'cancelled';
/** `reprocess`: `dataflowd reprocess`, sending chosen files again whatever the ledger says; `rebuild`: `dataflowd ledger rebuild`. */
export type RunTrigger = 'schedule' | 'manual' | 'once' | 'api' | 'reprocess' | 'rebuild';

export interface RunCounts {
  filesTaken: number;
  filesIngested: number;
  filesFailed: number;
  /** Listed files the run could not take (their names), recorded as `skipped`. */
  filesRefused: number;
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
  /** The process that ran it; null for runs recorded before leases existed. */
  owner: LeaseOwner | null;
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

/** Which definition of a `frequency: once` dataflow had its single run, and which run it was. */
export interface OnceRecord {
  hash: string;
  runId: string;
  at: Date;
}

/** A young file's version as the last listing saw it (the stability gate of minFileAge). */
export interface SeenVersion {
  fingerprint: string;
  seenAt: Date;
}

/**
 * How a dataflow's ledger began, when Platform may already hold its data (src/run/ledger-guard.ts):
 * - checked: Catalog held no ingested batch of the dataflow when its first run looked;
 * - rebuilt: `dataflowd ledger rebuild` wrote it from Catalog's batches;
 * - accepted_empty: `run --accept-empty-ledger` started it empty on purpose.
 */
export interface LedgerMark {
  how: 'checked' | 'rebuilt' | 'accepted_empty';
  detail: string | null;
  at: Date;
}

/** A batch Platform holds, written into a rebuilt ledger as succeeded. */
export interface ImportedBatch {
  id: string;
  dataset: string;
  externalId: string;
  platformStatus: string;
  recordsIn: number | null;
  recordsOut: number | null;
  recordsFailed: number | null;
}

/** A file version a rebuilt ledger records as ingested by one of the imported batches. */
export interface ImportedFile extends FileVersion {
  batchId: string;
}

/**
 * A webhook notification in the outbox (src/notify):
 * - pending: to deliver at `nextAt` (again, after a failed attempt)
 * - delivered: a 2xx answer (final)
 * - failed: given up after its last attempt, or its webhook left the config (final)
 */
export type NotificationState = 'pending' | 'delivered' | 'failed';

export interface NewNotification {
  /** Stable across attempts: the receiver de-duplicates on it. */
  id: string;
  dataflow: string;
  runId: string | null;
  event: string;
  /** A hash of the webhook's URL: finds the webhook (URL, secret) in the config when delivering. */
  webhook: string;
  /** The URL's origin, for listings (never the whole URL: a path may be a secret). */
  endpoint: string;
  /** The exact body sent, the same on every attempt. */
  body: string;
}

export interface NotificationRecord extends NewNotification {
  state: NotificationState;
  attempts: number;
  nextAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

/** How one delivery attempt ended: delivered, or failed with when to try again (null: give up). */
export type NotificationAttempt = { delivered: true; status: number } | { delivered: false; status: number | null; error: string; retryAt: Date | null };

export type BatchPatch = Partial<Pick<BatchRecord, 'state' | 'platformStatus' | 'recordsIn' | 'recordsOut' | 'recordsFailed' | 'error'>>;

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending versioned migrations, once even when several processes start together. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap reachability check for /readyz. */
  ping(): Promise<void>;

  /**
   * Takes the dataflow's lease for ttlMs: granted when nobody holds it, its holder released it or
   * let it expire, or `takeOverFrom` names its holder's processId (a holder known to be dead).
   */
  acquireLease(dataflow: string, owner: LeaseOwner, opts: { ttlMs: number; takeOverFrom?: string }): Promise<LeaseAnswer>;
  /** Extends a held lease; false when it is no longer this holder's (taken over, or released). */
  renewLease(fence: Fence, processId: string, ttlMs: number): Promise<boolean>;
  releaseLease(fence: Fence, processId: string): Promise<void>;
  getLease(dataflow: string): Promise<LeaseRecord | undefined>;
  listLeases(): Promise<LeaseRecord[]>;
  /** Claims one scheduled tick of a dataflow for this process: true for exactly one claimer. */
  claimTick(dataflow: string, dueAt: Date, processId: string): Promise<boolean>;

  /** The newest ledger entry for each of these paths of a dataflow (indexed lookups; callers chunk). */
  latestVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /** The newest `ingested` entry for each of these paths of a dataflow: what a new version replaces (replay). */
  ingestedVersions(dataflow: string, paths: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /**
   * Records taken file versions as `pending` for the run. The store refuses (ERR_STORE_CONFLICT,
   * nothing recorded) a version whose `supersedes` is no longer its path's newest entry: two
   * readers of the same ledger cannot both take a file.
   */
  addPending(fence: Fence, runId: string, files: readonly TakenVersion[]): Promise<LedgerEntry[]>;
  /** Records versions the run could not take as `skipped`, each with its reason (same rules as addPending). */
  addSkipped(fence: Fence, runId: string, files: ReadonlyArray<TakenVersion & { reason: string }>): Promise<LedgerEntry[]>;
  setFileState(fence: Fence, ids: readonly number[], state: FileState, patch?: FilePatch): Promise<void>;
  filesOfRun(runId: string): Promise<LedgerEntry[]>;
  /**
   * The run's files still `pending` outside any batch with an id above `afterId`, oldest first, at
   * most `limit`: a run reads what it sends a batch at a time instead of holding every file it took.
   */
  pendingFilesOfRun(runId: string, opts: { afterId: number; limit: number }): Promise<LedgerEntry[]>;
  filesOfBatch(batchId: string): Promise<LedgerEntry[]>;
  /** A dataflow's entries left pending, uploading or completing: what recovery must settle. */
  unsettledFiles(dataflow: string): Promise<LedgerEntry[]>;
  /** Dataflows with a run left running, or a batch or file left unsettled. */
  dataflowsToSettle(): Promise<string[]>;

  /** A run record; `fence` for the run of a lease holder (a skipped tick writes none). */
  /**
   * With `finished`, the run is written already over, in one transaction: a run that never ran (a
   * tick skipped because another process holds the dataflow) is never seen `running`, so the
   * holder's recovery cannot take it for an interrupted run of its own dataflow.
   */
  createRun(run: { id: string; dataflow: string; trigger: RunTrigger; startedAt: Date; owner?: LeaseOwner; finished?: RunResult }, fence?: Fence): Promise<RunRecord>;
  /** `notify` answers the run's notifications from its final record: they enter the outbox in the same transaction. */
  finishRun(id: string, result: RunResult, fence?: Fence, notify?: (run: RunRecord) => readonly NewNotification[]): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(opts: { dataflow?: string; limit?: number }): Promise<RunRecord[]>;
  /** Runs `running` now, of one dataflow or of all; with its lease free, a dataflow's were left by a process that died. */
  runningRuns(dataflow?: string): Promise<RunRecord[]>;

  /** A new batch in `uploading`, and the given file moves, in one transaction. */
  createBatch(fence: Fence, batch: { id: string; runId: string; dataset: string; externalId: string }, files?: readonly FileMove[]): Promise<BatchRecord>;
  /** Patches a batch and applies the given file moves, in one transaction (all or nothing). */
  updateBatch(fence: Fence, id: string, patch: BatchPatch, files?: readonly FileMove[]): Promise<void>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  batchesOfRun(runId: string): Promise<BatchRecord[]>;
  /** A dataflow's batches in `uploading` or `completing`. */
  unsettledBatches(dataflow: string): Promise<BatchRecord[]>;

  /** Rows rejected before upload (ingestion.errorDiagnostics), in one transaction. */
  addRowErrors(fence: Fence, errors: readonly NewRowError[]): Promise<void>;
  /** A run's row errors in the order they were added, up to `limit` (default 100). */
  rowErrorsOfRun(runId: string, opts?: { limit?: number }): Promise<RowErrorRecord[]>;

  /**
   * Notes that the run is about to ask Platform for a batch with this externalId, before the
   * batch exists: recovery looks these up in Catalog for runs that died (recover.ts).
   */
  addBatchIntent(fence: Fence, runId: string, externalId: string): Promise<void>;
  /** The externalIds a run meant to create batches with, oldest first. */
  batchIntents(runId: string): Promise<string[]>;

  /** A batch whose afterIngest (delete / move) is still to do once Platform accepted it. */
  oweAfterIngest(fence: Fence, batchId: string): Promise<void>;
  owedAfterIngest(dataflow: string): Promise<string[]>;
  paidAfterIngest(fence: Fence, batchIds: readonly string[]): Promise<void>;

  /** The version of a young file the previous listing saw (minFileAge's stability gate). */
  seenVersion(dataflow: string, path: string): Promise<SeenVersion | undefined>;
  recordSeen(fence: Fence, path: string, seen: SeenVersion): Promise<void>;

  /** `backfill: false` without startTime: files modified before this instant are not taken. */
  backfillFrom(dataflow: string): Promise<Date | undefined>;
  /** Sets the instant unless one is set; answers the one in force. */
  markBackfillFrom(fence: Fence, at: Date): Promise<Date>;

  /** No ledger entry at all for the dataflow (a new dataflow, or an emptied state). */
  ledgerIsEmpty(dataflow: string): Promise<boolean>;
  ledgerMark(dataflow: string): Promise<LedgerMark | undefined>;
  /** Sets (or replaces) the dataflow's mark. */
  markLedger(fence: Fence, mark: LedgerMark): Promise<void>;
  /**
   * `ledger rebuild`: the batches as succeeded and the files as ingested by them, each the first
   * entry of its path, and the mark, in one transaction; refused (ERR_STORE_CONFLICT, nothing
   * written) when the ledger already holds one of the paths.
   */
  importLedger(fence: Fence, runId: string, batches: readonly ImportedBatch[], files: readonly ImportedFile[], mark: LedgerMark): Promise<void>;

  onceRun(dataflow: string): Promise<OnceRecord | undefined>;
  recordOnceRun(fence: Fence, record: OnceRecord): Promise<void>;

  /**
   * Claims up to `limit` pending notifications that are due (of one run, when given) for
   * `claimMs`: no other process claims them meanwhile. Each claim counts as an attempt.
   */
  claimNotifications(processId: string, opts: { limit: number; claimMs: number; runId?: string }): Promise<NotificationRecord[]>;
  /** Records how a claimed attempt ended and lets the claim go. */
  settleNotification(id: string, processId: string, attempt: NotificationAttempt): Promise<void>;
  /** When the next pending notification (of one run, when given) is due; undefined when none is pending. */
  nextNotificationAt(runId?: string): Promise<Date | undefined>;
  /** Newest first. */
  listNotifications(opts: { dataflow?: string; runId?: string; limit?: number }): Promise<NotificationRecord[]>;
}
