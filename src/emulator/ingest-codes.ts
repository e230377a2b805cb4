import type { RowErrorKind } from './record-validator';

/*
 * Error codes on batches and in row-error files. Where Platform documents a code for the case
 * (aep-api.md §3.4, §5.2, §5.3) it is used verbatim. Adobe publishes no code for a record that
 * breaks a schema constraint other than "required", so 'INGEST-XDM-400' is the emulator's own.
 */

export interface RowErrorCode {
  /** The code inside a row-error record (`_errors[].code`). */
  rowCode: string;
  /** The code on the batch's errors array. */
  batchCode: string;
  description: string;
  /** The diagnostics file (under meta?path=row_errors) that holds these rows. */
  diagnosticsFile: 'parsing_errors_0.json' | 'conversion_errors_0.json';
}

export const ROW_ERROR_CODES: Record<RowErrorKind, RowErrorCode> = {
  corrupt: {
    rowCode: '1401',
    batchCode: 'INGEST-1401-400',
    description: 'The row has corrupted data and cannot be read or parsed. Fix the corrupted data and try again.',
    diagnosticsFile: 'parsing_errors_0.json',
  },
  required: {
    rowCode: '1555',
    batchCode: 'INGEST-1555-400',
    description: 'A required field is either missing or has a value of null. Add the required field to the input row and try again.',
    diagnosticsFile: 'conversion_errors_0.json',
  },
  schema: {
    rowCode: 'XDM',
    batchCode: 'INGEST-XDM-400',
    description: 'The row does not conform to the dataset schema (type, format, enum or another constraint).',
    diagnosticsFile: 'conversion_errors_0.json',
  },
};

export const SUMMARY_CODES = {
  /** "Encountered N errors in the data. Successfully ingested M rows." — with diagnostics. */
  withDiagnostics: 'INGEST-1212-400',
  /** Errors occurred; resend with error diagnostics enabled to learn more. */
  withoutDiagnostics: 'INGEST-1211-400',
} as const;

export const FILE_ERROR_CODES = {
  emptyFile: { code: '106', description: 'Dataset file is empty.' },
  emptyCsvHeader: { code: '118', description: 'CSV file contains empty header row.' },
  noFiles: { code: '133', description: 'No files were uploaded for this batch.' },
  unreadableFile: { code: 'INGEST-1401-400', description: 'The file cannot be read or parsed.' },
  failedByClient: { code: 'INGEST-FAIL-400', description: 'The batch was failed by its client (action=FAIL).' },
  internal: { code: 'INGEST-500', description: 'The batch could not be processed.' },
  /** The emulator's fault injection failed the batch on purpose (faults.ts, batchFailureRate). */
  injected: { code: 'INGEST-EMU-FAULT-500', description: 'The batch was failed by the emulator\'s fault injection.' },
} as const;
