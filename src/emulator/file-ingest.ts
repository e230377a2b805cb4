import { rm } from 'node:fs/promises';
import type { InputFormat, StoredFile } from './batch-model';
import { countFailure, type ProcessingTally } from './batch-outcome';
import { countCsvRows } from './csv-row-counter';
import { FILE_ERROR_CODES } from './ingest-codes';
import { JsonOutlineError } from './json-document-splitter';
import { LineSink } from './line-sink';
import { parquetRowCount, ParquetFormatError } from './parquet-footer';
import { jsonLayout, readJsonRecords } from './record-source';
import type { RecordCheck, RowProblem } from './record-validator';
import type { RowErrorLog } from './row-error-log';

/*
 * One uploaded file through processing: its records counted (and, for JSON, parsed and checked
 * against the schema) into the batch's tally. When the batch drops bad rows, the good records are
 * copied as they stream by, so that what Data Access serves is what landed.
 */

export interface FileIngestContext {
  file: StoredFile;
  inputFormat: InputFormat;
  uploadedPath: string;
  /** Where the copy without bad rows goes, when there are bad rows to drop. */
  landedPath: string;
  check: RecordCheck;
  tally: ProcessingTally;
  dropsBadRows: boolean;
  rowErrors?: RowErrorLog;
  signal: AbortSignal;
}

export interface FileResult {
  records: number;
  failed: number;
  /** A landed copy without the bad rows exists and is what Data Access serves. */
  filtered: boolean;
}

const ABORT_CHECK_EVERY = 1000;

export async function ingestFile(ctx: FileIngestContext): Promise<FileResult> {
  const { file, tally } = ctx;
  tally.inputFileCount++;
  tally.inputByteSize += file.sizeInBytes;
  if (file.sizeInBytes === 0) return fileError(ctx, FILE_ERROR_CODES.emptyFile.code, FILE_ERROR_CODES.emptyFile.description);
  switch (ctx.inputFormat.format) {
    case 'csv': {
      const count = await countCsvRows(ctx.uploadedPath);
      if (count.headerEmpty) return fileError(ctx, FILE_ERROR_CODES.emptyCsvHeader.code, FILE_ERROR_CODES.emptyCsvHeader.description);
      tally.inputRecordCount += count.dataRows;
      return { records: count.dataRows, failed: 0, filtered: false };
    }
    case 'parquet':
      try {
        const rows = await parquetRowCount(ctx.uploadedPath);
        tally.inputRecordCount += rows;
        return { records: rows, failed: 0, filtered: false };
      } catch (err) {
        if (err instanceof ParquetFormatError) return fileError(ctx, FILE_ERROR_CODES.unreadableFile.code, err.message);
        throw err;
      }
    case 'json':
      return ingestJson(ctx);
  }
}

async function ingestJson(ctx: FileIngestContext): Promise<FileResult> {
  const layout = await jsonLayout(ctx.uploadedPath, ctx.inputFormat.isMultiLineJson === true);
  const landed = ctx.dropsBadRows ? new LineSink(ctx.landedPath) : undefined;
  const separator = layout === 'lines' ? '\n' : ',\n';
  let records = 0;
  let failed = 0;
  let written = 0;
  try {
    if (landed && layout === 'document') await landed.write('[\n');
    for await (const raw of readJsonRecords(ctx.uploadedPath, layout)) {
      records++;
      const batchRow = ++ctx.tally.inputRecordCount;
      if (records % ABORT_CHECK_EVERY === 0) ctx.signal.throwIfAborted();
      const problem = checkRecord(raw.text, ctx.check);
      if (problem) {
        failed++;
        countFailure(ctx.tally, problem.kind, batchRow, ctx.file.path, records, problem.message);
        await ctx.rowErrors?.add(problem, { fileName: ctx.file.path, rowNumber: records, lineNumber: raw.line }, raw.text);
      } else if (landed) {
        await landed.write(layout === 'lines' ? raw.text + separator : (written > 0 ? separator : '') + raw.text);
        written++;
      }
    }
    if (landed && layout === 'document') await landed.write('\n]\n');
  } catch (err) {
    if (!(err instanceof JsonOutlineError)) throw err;
    fileError(ctx, FILE_ERROR_CODES.unreadableFile.code, `${FILE_ERROR_CODES.unreadableFile.description} ${err.message}`);
  } finally {
    await landed?.close();
  }
  const filtered = landed !== undefined && failed > 0;
  if (landed && !filtered) await rm(ctx.landedPath, { force: true });
  return { records, failed, filtered };
}

function checkRecord(text: string, check: RecordCheck): RowProblem | undefined {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    return { kind: 'corrupt', message: `Row is corrupted and cannot be read: ${(err as Error).message}`, path: '' };
  }
  return check(record);
}

function fileError(ctx: FileIngestContext, code: string, description: string): FileResult {
  ctx.tally.fileErrors.push({ code, description: `${description} File: ${ctx.file.path}` });
  return { records: 0, failed: 0, filtered: false };
}
