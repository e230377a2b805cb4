import type { BatchErrorEntry, BatchMetrics } from './batch-model';
import { ROW_ERROR_CODES, SUMMARY_CODES } from './ingest-codes';
import type { RowErrorKind } from './record-validator';

/*
 * What a processed batch comes to, as a pure function of what was counted and the batch's
 * partial-ingestion settings (aep-api.md §5): status, Catalog metrics and the errors array.
 */

/** Row numbers kept per error code on the batch; the diagnostics files hold all of them. */
const MAX_ROWS_LISTED = 100;

export interface KindTally {
  count: number;
  /** Batch-wide 1-based record numbers, as strings like Catalog's `rows`. */
  rows: string[];
  first: { fileName: string; row: number; message: string };
}

export interface ProcessingTally {
  inputFileCount: number;
  inputByteSize: number;
  inputRecordCount: number;
  failedByKind: Map<RowErrorKind, KindTally>;
  /** Problems that spoil a whole file (empty, unreadable, no header): the batch fails. */
  fileErrors: BatchErrorEntry[];
}

export interface IngestionPolicy {
  enableErrorDiagnostics: boolean;
  partialIngestionPercent?: number;
}

export interface Outcome {
  status: 'success' | 'failed';
  metrics: BatchMetrics;
  errors: BatchErrorEntry[];
}

export function newTally(): ProcessingTally {
  return { inputFileCount: 0, inputByteSize: 0, inputRecordCount: 0, failedByKind: new Map(), fileErrors: [] };
}

export function countFailure(tally: ProcessingTally, kind: RowErrorKind, batchRow: number, fileName: string, row: number, message: string): void {
  let entry = tally.failedByKind.get(kind);
  if (!entry) {
    entry = { count: 0, rows: [], first: { fileName, row, message } };
    tally.failedByKind.set(kind, entry);
  }
  entry.count++;
  if (entry.rows.length < MAX_ROWS_LISTED) entry.rows.push(String(batchRow));
}

/**
 * Bad rows are dropped instead of failing the batch when the batch asked for partial ingestion
 * or error diagnostics; the threshold then defaults to 0 %, so any bad row still fails it.
 */
export function dropsBadRows(policy: IngestionPolicy): boolean {
  return policy.enableErrorDiagnostics || policy.partialIngestionPercent !== undefined;
}

export function decideOutcome(tally: ProcessingTally, policy: IngestionPolicy): Outcome {
  const failedRows = [...tally.failedByKind.values()].reduce((sum, k) => sum + k.count, 0);
  const total = tally.inputRecordCount;
  const threshold = policy.partialIngestionPercent ?? 0;
  const failedPercent = total === 0 ? 0 : (failedRows / total) * 100;
  const rowsAcceptable = failedRows === 0 || (dropsBadRows(policy) && failedPercent <= threshold);
  const status = tally.fileErrors.length === 0 && rowsAcceptable ? 'success' : 'failed';
  const output = status === 'success' ? total - failedRows : 0;

  const errors: BatchErrorEntry[] = [...tally.fileErrors];
  if (failedRows > 0) {
    errors.push(summary(failedRows, output, failedPercent, status, policy));
    for (const [kind, entry] of tally.failedByKind) {
      const code = ROW_ERROR_CODES[kind];
      const where = `First at ${entry.first.fileName} row ${entry.first.row}: ${entry.first.message}`;
      const item: BatchErrorEntry = { code: code.batchCode, description: `${code.description} ${where}` };
      // Catalog gives per-code counts only when diagnostics are on (aep-api.md §5.2).
      if (policy.enableErrorDiagnostics) Object.assign(item, { recordCount: entry.count, rows: entry.rows });
      errors.push(item);
    }
  }
  return {
    status,
    errors,
    metrics: {
      inputRecordCount: total,
      outputRecordCount: output,
      failedRecordCount: total - output,
      inputFileCount: tally.inputFileCount,
      inputByteSize: tally.inputByteSize,
    },
  };
}

function summary(failed: number, output: number, percent: number, status: string, policy: IngestionPolicy): BatchErrorEntry {
  if (!policy.enableErrorDiagnostics) {
    return {
      code: SUMMARY_CODES.withoutDiagnostics,
      description:
        `Encountered ${failed} errors while parsing, converting or otherwise validating the data. ` +
        'Please resend the data with error diagnostics enabled to collect additional information on failure types.',
    };
  }
  const tail =
    status === 'success'
      ? `Successfully ingested ${output} rows.`
      : `${percent.toFixed(2)}% of rows failed, more than the partial ingestion threshold of ${policy.partialIngestionPercent ?? 0}%; no rows were ingested.`;
  return {
    code: SUMMARY_CODES.withDiagnostics,
    description: `Encountered ${failed} errors in the data. ${tail} Review the associated diagnostic files for additional details.`,
  };
}
