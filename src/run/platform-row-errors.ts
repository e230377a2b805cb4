import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Batch, PlatformClient } from '../platform';
import { isRejectedRowRecord } from '../prep/row-errors';
import type { Fence, NewRowError, Store } from '../store/types';

/*
 * Rows Platform itself refused (reference/aep-api.md §5.2): with error diagnostics on, a batch
 * that dropped or failed on rows has row_errors files, read through the Data Access API and kept
 * beside the rows prep refused before upload (row_errors table), so `history` shows both.
 */

/** Platform's records per batch that are kept; the files themselves stay in Platform for 30 days. */
export const MAX_PLATFORM_ROW_ERRORS = 1000;

/** Whether a final batch has row errors worth reading. */
export function hasRowErrors(batch: Batch): boolean {
  return (batch.metrics.failedRecordCount ?? 0) > 0 || (!batch.succeeded && batch.errors.some((e) => /^INGEST-(1401|1555|XDM|1212)/.test(String(e.code ?? ''))));
}

/**
 * One record of a row_errors file as a row error of the run. Platform's records are
 * `{_corrupt_record, _errors: [{code, message}], _filename}` (aep-api.md §5.2), `_filename`
 * naming the diagnostics file: they do not say which uploaded file or row the record came from.
 * The file is known when the batch had only one; the row is not (rows dataflowd's own checks
 * refused before upload are kept with file and row, and filtered out of these).
 * `fileIds` maps the batch's uploaded files (their source paths) to ledger ids.
 */
export function toRowError(record: unknown, at: { runId: string; batchId: string }, fileIds: ReadonlyMap<string, number>): NewRowError {
  const r = (typeof record === 'object' && record !== null ? record : { _raw: String(record) }) as Record<string, unknown>;
  const first = Array.isArray(r._errors) ? ((r._errors[0] ?? {}) as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const only = fileIds.size === 1 ? [...fileIds][0] : undefined;
  return {
    runId: at.runId,
    batchId: at.batchId,
    fileId: only?.[1] ?? null,
    file: only?.[0] ?? '',
    rowNumber: null,
    lineNumber: null,
    column: null,
    field: null,
    code: str(first.code) ?? 'platform',
    message: str(first.message) ?? str(r._corrupt_record)?.slice(0, 500) ?? JSON.stringify(r).slice(0, 500),
  };
}

/** Reads the batch's row errors from Data Access and keeps them; a failure is logged, never fatal. */
export async function keepPlatformRowErrors(
  store: Store,
  platform: PlatformClient,
  batch: Batch,
  at: { runId: string; fence: Fence; fileIds: ReadonlyMap<string, number> },
  logger: Logger,
  signal: AbortSignal,
): Promise<number> {
  try {
    // Rows prep rejected before upload are already kept, in the source's terms.
    const records = (await platform.rowErrors(batch.id, { limit: MAX_PLATFORM_ROW_ERRORS, signal })).filter((r) => !isRejectedRowRecord(r));
    if (records.length > 0) await store.addRowErrors(at.fence, records.map((r) => toRowError(r, { runId: at.runId, batchId: batch.id }, at.fileIds)));
    return records.length;
  } catch (err) {
    if (signal.aborted) throw err;
    logger.warn({ batchId: batch.id, err: errorMessage(err) }, "could not read Platform's row errors; its batch errors are kept");
    return 0;
  }
}
