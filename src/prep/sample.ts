import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { errorMessage } from '../lib/errors';
import type { MappingReport } from './mapping';
import type { PrepPlan } from './prep-plan';
import { prepareFile } from './prepare';
import { REJECTED_ROW_PREFIX, type RowError } from './row-errors';

/*
 * `dataflowd run NAME --dry-run`: what a file would become, without uploading it. The file goes
 * through the same prep as in a run, read until the first records and row errors are seen (or a
 * bounded number of rows), then let go.
 */

export interface SampleLimits {
  records: number;
  rowErrors: number;
  /** Rows read at most, to find row errors past the first records. */
  maxRows: number;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { records: 3, rowErrors: 5, maxRows: 10_000 };

export interface FileSample {
  path: string;
  /** The first records as Platform would receive them. */
  records: unknown[];
  rowErrors: RowError[];
  /** Records read from the source for this sample. */
  rowsRead: number;
  /** Rows among them rejected before upload. */
  rejected: number;
  /** The whole file was read. */
  complete: boolean;
  mapping?: MappingReport;
  /** Why the file could not be prepared at all. */
  error?: string;
}

export async function sampleFile(source: Readable, file: { path: string; size: number }, plan: { prep: PrepPlan }, limits: SampleLimits = DEFAULT_SAMPLE_LIMITS): Promise<FileSample> {
  const sample: FileSample = { path: file.path, records: [], rowErrors: [], rowsRead: 0, rejected: 0, complete: false };
  let prepared;
  try {
    prepared = await prepareFile(source, file, plan);
  } catch (err) {
    source.destroy();
    return { ...sample, error: errorMessage(err) };
  }
  const finish = (complete: boolean): FileSample => {
    const stats = prepared.stats();
    return {
      ...sample,
      records: plan.prep.format === 'parquet' ? (stats.firstRecords ?? []).slice(0, limits.records) : sample.records,
      rowErrors: stats.rowErrors.slice(0, limits.rowErrors),
      rowsRead: stats.records,
      rejected: stats.failed,
      complete,
      mapping: stats.mapping,
    };
  };
  if (plan.prep.format === 'parquet' || prepared.empty) {
    prepared.body.destroy();
    return finish(true);
  }
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lines = 0;
  const enough = () => {
    const stats = prepared.stats();
    return (sample.records.length >= limits.records && stats.rowErrors.length >= limits.rowErrors) || lines >= limits.maxRows;
  };
  try {
    for await (const chunk of prepared.body) {
      pending += decoder.write(chunk as Buffer);
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines++;
        if (sample.records.length < limits.records && line.trim() !== '' && !line.startsWith(REJECTED_ROW_PREFIX)) {
          sample.records.push(parsed(line));
        }
        if (enough()) {
          prepared.body.destroy();
          return finish(false);
        }
      }
    }
  } catch (err) {
    return { ...finish(false), error: errorMessage(err) };
  }
  if (pending.trim() !== '' && sample.records.length < limits.records && !pending.startsWith(REJECTED_ROW_PREFIX)) sample.records.push(parsed(pending));
  return finish(true);
}

/** Pass-through JSON Lines are not parsed by the prep; a broken line is shown as it is. */
function parsed(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}
