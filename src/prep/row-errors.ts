
/*
 * A row that failed before upload, described in the source's terms (file, row, line, column) as
 * well as the target's (XDM path), shaped like the records of Platform's row_errors files
 * (aep-api.md §5.2: `_errors: [{code, message}]`, `_filename`), with flat fields besides, as the
 * emulator's row errors have.
 *
 * The rejected value stays behind: what goes to Platform (the rejected-row line), to the logs,
 * to `run --json`, `--dry-run` and the run's error says why, where (row, line, column, field),
 * never what the value was. The value is kept apart (RowError.value) and reaches only the local
 * row-error store, which is written only with `ingestion.errorDiagnostics`.
 */

export const ROW_ERROR_CODES = {
  /** The row cannot be read: bad CSV or JSON syntax, invalid UTF-8, more fields than the header. */
  corrupt: '1401',
  /** A required field is missing or null (Platform's INGEST-1555-400). */
  required: '1555',
  /** The record breaks another constraint of the dataset schema (the emulator's INGEST-XDM-400). */
  schema: 'XDM',
  /** A value could not be converted to its field's type (Data Prep's MAPPER-3700-400). */
  conversion: 'MAPPER-3700',
} as const;

export type RowErrorCode = (typeof ROW_ERROR_CODES)[keyof typeof ROW_ERROR_CODES];

export interface RowError {
  /** The source file's path. */
  fileName: string;
  /** 1-based record number within the file (a CSV header is not a record). */
  rowNumber: number;
  /** 1-based line where the record starts (none for Parquet). */
  lineNumber?: number;
  /** The CSV column or the JSON source path involved, when one is. */
  column?: string;
  /** The XDM field involved, as a dot path, when one is. */
  path?: string;
  code: RowErrorCode;
  /** Why, and where in the record: never the value. */
  message: string;
  /** The rejected value as text, shortened: for the local row-error store only. */
  value?: string;
}

/** The row error as a record of Platform's row_errors files. */
export function rowErrorRecord(e: RowError): Record<string, unknown> {
  return {
    _errors: [{ code: e.code, message: e.message }],
    _filename: e.fileName,
    fileName: e.fileName,
    rowNumber: e.rowNumber,
    ...(e.lineNumber === undefined ? {} : { lineNumber: e.lineNumber }),
    ...(e.column === undefined ? {} : { column: e.column }),
    ...(e.path === undefined ? {} : { path: e.path }),
    code: e.code,
    message: e.message,
  };
}

/** `row 2, line 3 column price: … [MAPPER-3700]`, for people. */
export function describeRowError(e: { rowNumber?: number | null; lineNumber?: number | null; column?: string | null; code: string; message: string }): string {
  const where = [e.rowNumber == null ? undefined : `row ${e.rowNumber}`, e.lineNumber == null ? undefined : `line ${e.lineNumber}`].filter(Boolean).join(', ');
  return `${where}${e.column ? ` column ${e.column}` : ''}: ${e.message} [${e.code}]`;
}

/** Row errors kept per file in memory; every failed row is still counted. */
export const MAX_ROW_ERRORS_KEPT = 1000;

export class RowErrorLog {
  readonly kept: RowError[] = [];
  count = 0;

  constructor(private readonly max = MAX_ROW_ERRORS_KEPT) {}

  add(e: RowError): void {
    this.count++;
    if (this.kept.length < this.max) this.kept.push(e);
  }
}

/**
 * The line sent to Platform in place of a rejected row. It is not JSON, so Platform counts it
 * as a failed (corrupt, code 1401) row of the batch: its partial-ingestion rule then sees every
 * row the source had, and its own diagnostics say why dataflowd rejected the row. The rejected
 * value is not sent: the line names its fields one by one, and `value` is not among them.
 */
export function rejectedRowLine(e: RowError): string {
  const why = { file: e.fileName, row: e.rowNumber, line: e.lineNumber, column: e.column, path: e.path, code: e.code, message: e.message };
  return `dataflowd-rejected-row ${JSON.stringify(why)}`;
}

export const REJECTED_ROW_PREFIX = 'dataflowd-rejected-row ';

/**
 * Whether a record of Platform's row_errors is one of our rejected-row lines: its row error is
 * already kept, in the source's terms, from before the upload.
 */
export function isRejectedRowRecord(record: unknown): boolean {
  const corrupt = (record as { _corrupt_record?: unknown } | null)?._corrupt_record;
  return typeof corrupt === 'string' && corrupt.startsWith(REJECTED_ROW_PREFIX);
}
