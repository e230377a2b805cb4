/*
 * The ledger as detection reads it. Detection is pure and sits below the store in the layers
 * (docs/architecture.md), so it declares the shapes it needs instead of importing the store's:
 * the store's FileVersion and LedgerEntry have these fields (the compiler checks it where scan
 * hands ledger entries to detect), and a state the store adds must be added here to compile.
 */

/** What became of a file version (store/types.ts FileState says what each means). */
export type FileState = 'pending' | 'uploading' | 'completing' | 'ingested' | 'failed' | 'error' | 'vanished' | 'skipped';

/** A path and its fingerprint: a changed file is a new version. */
export interface FileVersion {
  path: string;
  /** etag when the connector tracks content by etag, else `size:mtimeMs` truncated to its precision. */
  fingerprint: string;
  size: number;
  modifiedAt: Date;
}

/** The newest ledger entry of a path. */
export interface LedgerEntry extends FileVersion {
  id: number;
  state: FileState;
  runId: string;
  batchId: string | null;
  error: string | null;
  updatedAt: Date;
}
