import { dataflowError, type DataflowError } from '../lib/errors';

/*
 * Problems that spoil a whole file (its bytes cannot be read past some point): errors of kind
 * `data` with a stable code, naming the file and, where known, the line. A problem of one row
 * is a row error instead (row-errors.ts).
 */

/** The reason of a row rejected for its length (format.maxRecordSize): the same for every format. */
export function recordTooLongReason(maxRecordChars: number): string {
  return `the record is longer than format.maxRecordSize (${maxRecordChars})`;
}

export function jsonOutlineError(fileName: string, message: string, line: number): DataflowError {
  return dataflowError('ERR_PREP_JSON_OUTLINE', 'data', `${fileName} line ${line}: ${message}; the file cannot be read past it`, { context: { fileName, line } });
}

export function csvSyntaxError(fileName: string, message: string, line: number | undefined): DataflowError {
  const where = line === undefined ? fileName : `${fileName} line ${line}`;
  return dataflowError('ERR_PREP_CSV_SYNTAX', 'data', `${where}: ${message}; the file cannot be read past it`, { context: { fileName, line } });
}

export function csvHeaderError(fileName: string): DataflowError {
  return dataflowError('ERR_PREP_CSV_HEADER', 'data', `${fileName}: the CSV header row is empty`, { context: { fileName } });
}

export function workerError(fileName: string, message: string, cause?: unknown): DataflowError {
  return dataflowError('ERR_PREP_WORKER', 'internal', `${fileName}: converting on a worker thread failed: ${message}`, { cause, context: { fileName } });
}

export function gzipError(fileName: string, cause: unknown): DataflowError {
  const message = (cause as Error).message ?? String(cause);
  const truncated = (cause as { code?: string }).code === 'Z_BUF_ERROR' || /unexpected end/i.test(message);
  const what = truncated ? 'the gzip stream is truncated (the file may still be being written, or was cut short)' : `the gzip stream is corrupt: ${message}`;
  return dataflowError(truncated ? 'ERR_PREP_GZIP_TRUNCATED' : 'ERR_PREP_GZIP_CORRUPT', 'data', `${fileName}: ${what}`, { cause, context: { fileName } });
}

export function inflatedTooLargeError(fileName: string, maxBytes: number): DataflowError {
  return dataflowError(
    'ERR_PREP_GZIP_TOO_LARGE',
    'data',
    `${fileName}: the gzip stream inflates to more than ${maxBytes} bytes (format.maxInflatedSize); it is not read further`,
    { context: { fileName, maxBytes } },
  );
}

export function parquetError(fileName: string, cause: unknown): DataflowError {
  return dataflowError('ERR_PREP_PARQUET', 'data', `${fileName}: not a readable Parquet file: ${(cause as Error).message ?? String(cause)}`, { cause, context: { fileName } });
}
