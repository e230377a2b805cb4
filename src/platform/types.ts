import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';

/** How to reach Platform (or a `dataflowd emulator`, which answers the same API). */
export interface PlatformClientOptions {
  /** e.g. https://platform.adobe.io, or the emulator's http://127.0.0.1:PORT */
  endpoint: string;
  /** The token is requested at POST {imsEndpoint}/ims/token/v3 */
  imsEndpoint: string;
  clientId: string;
  clientSecret: string;
  orgId: string;
  sandbox: string;
  scopes: string[];
  logger?: Logger;
  clock?: Clock;
  retry?: PlatformRetryOptions;
  upload?: Partial<UploadSettings>;
}

/** How files go up (reference/aep-api.md §2.2–2.3). */
export interface UploadSettings {
  /** Files of known size above this use the large-file upload; default 256,000,000 bytes. */
  largeFileBytes: number;
  /** Bytes per PATCH of a large file (at most 512,000,000); default 8 MiB. */
  chunkBytes: number;
  /** PATCHes of one file in flight at once; default 4. Memory per file ≈ (chunksInFlight + 1) × chunkBytes. */
  chunksInFlight: number;
  /** Where output of unknown size longer than one chunk is written before upload; default the system's temporary folder. */
  spoolDir: string;
}

export interface PlatformRetryOptions {
  /** Attempts in total per call, including the first. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Waiting between attempts stops short of this in all. */
  maxWaitMs?: number;
}

export type BatchFormat = 'json' | 'csv' | 'parquet';

export interface CreateBatchRequest {
  datasetId: string;
  format: BatchFormat;
  /** JSON only: the files hold one array (or pretty-printed objects), not JSON Lines. */
  isMultiLineJson?: boolean;
  /** A client-chosen id, unique in the org; lets a retry find the batch a lost answer created. */
  externalId?: string;
  enableErrorDiagnostics?: boolean;
  /** Percentage of rows that may fail before the whole batch fails. */
  partialIngestionPercent?: number;
  /**
   * Replay (aep-api.md §2.5): the batches this one replaces. Once it succeeds, Platform takes
   * them out of the dataset, so a changed file's new version does not sit beside its old one.
   */
  replay?: { predecessors: string[]; reason?: string };
}

export interface BatchMetrics {
  inputRecordCount?: number;
  outputRecordCount?: number;
  failedRecordCount?: number;
  inputFileCount?: number;
  inputByteSize?: number;
}

export interface BatchError {
  code?: string;
  description?: string;
  [k: string]: unknown;
}

/**
 * (Here rather than in batch-status.ts, which maps statuses to it, so that the two import no
 * cycle.) What a client does about each status (aep-api.md §3.2): every status Catalog documents has
 * its handling; one it does not is polled for a while, then the run fails naming it.
 */
export type StatusHandling =
  /** In flight: poll again. */
  | 'wait'
  /** Final, and the data reached the dataset (which may still come with failed rows). */
  | 'ingested'
  /** Platform judged the data and refused it: final for this version of the files. */
  | 'rejected'
  /** Platform gave up on the batch without judging its data: the files go again, in a new batch. */
  | 'resend'
  /** ABORT was called: the files are taken again by a later run. */
  | 'aborted'
  /** Promoted, then out of the dataset: replaced by a successor, or reverted or expired. Look it up. */
  | 'look-up'
  /** Not a status Platform documents. */
  | 'unknown';

/** A Catalog batch, normalised. `raw` keeps Platform's object for anything not lifted out. */
export interface Batch {
  id: string;
  /** Lower-cased Catalog status, e.g. `loading`, `processing`, `success`. */
  status: string;
  /** What to do about the status (batch-status.ts). */
  handling: StatusHandling;
  /** No further change is expected (see batch-status.ts). */
  final: boolean;
  /** Final and the data is in the dataset (which may still come with failed rows). */
  succeeded: boolean;
  datasetId?: string;
  externalId?: string;
  metrics: BatchMetrics;
  errors: BatchError[];
  /** Unix milliseconds. */
  created?: number;
  completed?: number;
  /** The batches this one replaces (its `replay.predecessors`). */
  replaces?: string[];
  raw: unknown;
}

export interface Dataset {
  id: string;
  name: string;
  schemaRef?: unknown;
}

export interface ListBatchesQuery {
  dataSet?: string;
  externalId?: string;
  status?: string;
  /** Unix milliseconds. */
  createdAfter?: number;
  /** e.g. `asc:created`. */
  orderBy?: string;
  /** Catalog allows 1–100; default 20. */
  limit?: number;
  start?: number;
}

export interface WaitForBatchOptions {
  signal?: AbortSignal;
  /** First pause between polls; default 2 s. */
  pollMs?: number;
  /** Pauses grow by half each poll up to this; default 30 s. */
  maxPollMs?: number;
  /** Give up (ERR_PLATFORM_BATCH_WAIT_TIMEOUT) after this long; default 4 h. */
  timeoutMs?: number;
  /** Called with the first status seen and on every change of status. */
  onStatus?: (batch: Batch) => void;
  /**
   * How long a status Platform does not document is polled before the wait fails naming it
   * (ERR_PLATFORM_BATCH_STATUS_UNKNOWN); default 30 min.
   */
  unknownStatusTimeoutMs?: number;
}

export interface UploadFileOptions {
  /** Bytes in the body when known in advance; undefined for output whose length is only known at its end. */
  size?: number;
  signal?: AbortSignal;
}

/** One dataset file of a batch, as Data Access lists it. */
export interface BatchFile {
  dataSetFileId: string;
  dataSetViewId?: string;
  version?: string;
  created?: number;
  updated?: number;
  isValid?: boolean;
  href?: string;
}

/** One physical file inside a dataset file (GET /export/files/{dataSetFileId}). */
export interface DataSetFileEntry {
  name: string;
  length?: number;
  href?: string;
}

export interface RowErrorsOptions {
  /** Stop after this many error records in all; default 1000. */
  limit?: number;
  signal?: AbortSignal;
}
