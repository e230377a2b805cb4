import type { RowError } from '../prep/row-errors';
import type { NewRowError } from '../store/types';

// Here, in run, because it joins prep's row errors to the store's rows: prep knows nothing of the store.

/**
 * The row error as the store keeps it: the only place the value goes, appended to the message
 * (the store has no column of its own for it).
 */
export function storedRowError(e: RowError, at: { runId: string; batchId: string | null; fileId: number | null }): NewRowError {
  return {
    ...at,
    file: e.fileName,
    rowNumber: e.rowNumber,
    lineNumber: e.lineNumber ?? null,
    column: e.column ?? null,
    field: e.path ?? null,
    code: e.code,
    message: e.value === undefined ? e.message : `${e.message} (value: ${e.value})`,
  };
}
