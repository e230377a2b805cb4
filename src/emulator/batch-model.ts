/*
 * A batch as the emulator keeps it (persisted by batch-store.ts) and its projection into Catalog's
 * batch object (aep-api.md §2.1, §3.1). Timestamps are Unix milliseconds, like Catalog's.
 */

/**
 * The statuses the emulator moves a batch through by itself (aep-api.md §3.2). A status script
 * (faults.ts batchStatuses) may show any other of Catalog's statuses, or an undocumented one.
 */
export type OwnStatus = 'loading' | 'processing' | 'success' | 'failed' | 'aborted' | 'inactive';
export type BatchStatus = OwnStatus | (string & {});

/** Catalog's statuses after which nothing changes by itself any more (aep-api.md §3.2). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['success', 'active', 'failed', 'failure', 'aborted', 'abandoned', 'inactive', 'deleted', 'stalled']);

export type InputFormatName = 'json' | 'csv' | 'parquet';

export interface InputFormat {
  format: InputFormatName;
  isMultiLineJson?: boolean;
}

/**
 * A file of a batch. Never changed in place: a change is a new object in `files` (BatchStore
 * keeps each one's JSON, so rewriting a record of 1000 files serialises only what changed).
 */
export interface StoredFile {
  /** filePath as the client named it, relative to the batch's files folder. */
  readonly path: string;
  readonly sizeInBytes: number;
  readonly created: number;
  readonly updated: number;
  /** 'uploading' between a large file's INITIALIZE and its COMPLETE. */
  readonly state: 'complete' | 'uploading';
  /** Large file: the inclusive byte ranges received, in arrival order (overlaps are kept to be refused). */
  readonly chunks?: ReadonlyArray<[number, number]>;
  /** Large file: the total size announced by Content-Range (`bytes a-b/total`), when given. */
  readonly declaredSize?: number;
  /** Set by processing: records that landed, and whether a copy without the bad rows is served. */
  readonly landed?: { readonly records: number; readonly filtered: boolean };
}

export interface BatchMetrics {
  inputRecordCount: number;
  outputRecordCount: number;
  failedRecordCount: number;
  inputFileCount: number;
  inputByteSize: number;
}

/** Catalog's errors item (aep-api.md §3.4). */
export interface BatchErrorEntry {
  code: string;
  description: string;
  rows?: string[];
  recordCount?: number;
}

export interface BatchRecord {
  id: string;
  imsOrg: string;
  createdClient: string;
  status: BatchStatus;
  created: number;
  updated: number;
  started?: number;
  completed?: number;
  datasetId: string;
  inputFormat: InputFormat;
  externalId: string;
  enableErrorDiagnostics: boolean;
  partialIngestionPercent?: number;
  tags: Record<string, unknown>;
  files: StoredFile[];
  metrics?: BatchMetrics;
  errors: BatchErrorEntry[];
  /** The batches this one replaces (createBatch's replay), made inactive when it succeeds. */
  replay?: { predecessors: string[]; reason?: string };
  /** Statuses Catalog shows, one per read, set by a fault rule at COMPLETE (status-script.ts). */
  script?: { steps: string[]; at: number };
}

export function isFinal(status: BatchStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** The batch as Catalog answers it, inside the object keyed by id. */
export function toCatalogBatch(batch: BatchRecord): Record<string, unknown> {
  // Catalog's description types every tag as an array of strings (its guide's example shows a
  // bare boolean and number for these two; the description is the contract).
  const tags: Record<string, unknown> = { ...batch.tags };
  if (batch.enableErrorDiagnostics) tags.acp_enableErrorDiagnostics = ['true'];
  if (batch.partialIngestionPercent !== undefined) tags.acp_partialIngestionPercent = [String(batch.partialIngestionPercent)];
  const out: Record<string, unknown> = {
    id: batch.id,
    status: batch.status,
    imsOrg: batch.imsOrg,
    createdClient: batch.createdClient,
    created: batch.created,
    updated: batch.updated,
    relatedObjects: [{ type: 'dataSet', id: batch.datasetId }],
    inputFormat: batch.inputFormat,
    externalId: batch.externalId,
    tags,
    version: '1.0.0',
    errors: batch.errors,
  };
  if (batch.started !== undefined) out.started = batch.started;
  if (batch.completed !== undefined) out.completed = batch.completed;
  if (batch.metrics) out.metrics = batch.metrics;
  if (batch.replay) out.replay = batch.replay;
  return out;
}
