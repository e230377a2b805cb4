import { pipeline, type Readable } from 'node:stream';
import { CsvStage, nodeEncoding } from './csv-stage';
import { DecompressStage } from './decompress';
import { JsonStage } from './json-stage';
import type { MappingReport } from './mapping';
import { prepareParquet } from './parquet-file';
import type { CsvOptions, PrepPlan } from './prep-plan';
import { defaultParallelOptions, type ParallelOptions } from './ordered-workers';
import { ParallelCsvStage } from './parallel-csv-stage';
import { cuttable } from './csv-blocks';
import { RecordProcessor } from './record-processor';
import type { RowError } from './row-errors';
import { ByteCounter, OutputWatch, Utf8Watch } from './stream-parts';

export interface PrepStats {
  /** Records read from the source file, rejected ones included. */
  records: number;
  /** Bytes read from the source (before decompression). */
  bytesRead: number;
  /** Records rejected before upload (sent as rejected-row lines, so Platform counts them). */
  failed: number;
  /** The first rejected rows (at most MAX_ROW_ERRORS_KEPT). */
  rowErrors: RowError[];
  /** CSV: what became of the header's columns. */
  mapping?: MappingReport;
  /** Parquet: the first rows as read (Parquet is sent as it is). */
  firstRecords?: unknown[];
  /** The worker threads that converted it (none: the main thread did). */
  workers?: number;
}

/** A source file turned into what Platform receives, streaming. */
export interface PreparedFile {
  body: Readable;
  /** Length of `body` when known in advance (pass-through); undefined when transformed. */
  size?: number;
  /**
   * Nothing to upload: the file holds no record (0 bytes, blank, a CSV header alone, `[]`).
   * Platform refuses empty files and would fail the batch with it, so the caller skips the
   * upload; the stats are final.
   */
  empty: boolean;
  /** Final once `body` has ended. */
  stats(): PrepStats;
}

export interface PrepareOptions {
  /** Called with each chunk's size as the source is read. */
  onBytes?: (n: number) => void;
  /** When and how CSV and JSON Lines go to worker threads (default: ordered-workers.ts defaultParallelOptions). */
  parallel?: ParallelOptions;
}

const DEFAULT_CSV: CsvOptions = { delimiter: ',', quote: '"', escape: '"', header: true, encoding: 'utf-8' };

/**
 * The seam between a source stream and an upload (DESIGN.md §6 step 4: source → decompress →
 * parse/map → upload). Resolves once the first output bytes exist (or the file proved empty),
 * so that `size` and `empty` are known; the rest streams as `body` is read. JSON Lines that
 * need nothing pass through unchanged, only counted; CSV and JSON that need mapping, a tenant
 * rename or validation are converted record by record; Parquet is checked and sent as it is.
 */
export async function prepareFile(source: Readable, file: { path: string; size: number }, plan: { prep: PrepPlan }, opts: PrepareOptions = {}): Promise<PreparedFile> {
  const prep = plan.prep;
  const counter = new ByteCounter();
  if (opts.onBytes) counter.on('data', (chunk: Buffer) => opts.onBytes?.(chunk.length));
  const decompress = new DecompressStage(prep.compression, file.path, prep.limits.inflatedBytes);
  const front: NodeJS.ReadWriteStream[] = [counter, decompress];

  if (prep.format === 'parquet') {
    const parquet = await prepareParquet(source, front, file.path, prep, prep.datasetFields);
    const stats: PrepStats = { records: parquet.records, bytesRead: counter.bytes, failed: 0, rowErrors: parquet.errors.kept, firstRecords: parquet.firstRecords };
    if (parquet.records === 0) parquet.body.destroy();
    return { body: parquet.body, size: parquet.size, empty: parquet.records === 0, stats: () => stats };
  }

  const processor = new RecordProcessor(prep, file.path);
  const stages: NodeJS.ReadWriteStream[] = [...front];
  let jsonStage: JsonStage | undefined;
  const csv = prep.csv ?? DEFAULT_CSV;
  const parallel = opts.parallel ?? defaultParallelOptions();
  // Large files convert on worker threads, which check UTF-8 piece by piece themselves: CSV that
  // can be cut by bytes, JSON Lines that need parsing (JsonStage knows the layout only later).
  const large = prep.source !== undefined && parallel.workers > 0 && file.size >= parallel.minBytes;
  const workers = large && (prep.format === 'csv' ? cuttable(csv) : processor.parsesJson);
  // Only parsed records are checked for broken UTF-8; pass-through bytes are Platform's to judge.
  const parsed = prep.format === 'csv' ? nodeEncoding(csv.encoding) === 'utf8' : processor.parsesJson;
  // (JSON keeps the watch: a JSON document stays on this thread, known only once the layout is.)
  const utf8 = parsed && !(workers && prep.format === 'csv') ? new Utf8Watch() : undefined;
  if (utf8) {
    stages.push(utf8);
    processor.invalidUtf8 = () => utf8.invalid;
  }
  if (prep.format === 'csv') {
    stages.push(workers ? new ParallelCsvStage(processor, csv, prep.source!, file.path, parallel, prep.limits.recordChars) : new CsvStage(processor, csv, file.path, prep.limits.recordChars));
  } else {
    jsonStage = new JsonStage(processor, file.path, prep.limits.recordChars, workers ? { opts: parallel, source: prep.source! } : undefined);
    stages.push(jsonStage);
  }
  const watch = new OutputWatch();
  let failure: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (failure = reject));
  failed.catch(() => undefined);
  const body = pipeline([source, ...stages, watch], (err) => {
    if (err) failure(err);
  }) as unknown as Readable;

  const hasOutput = await Promise.race([watch.firstOutput, failed]);
  const passThrough = jsonStage?.passThrough === true && !decompress.gzip;
  const workerCount = () => (prep.format === 'csv' ? (workers ? parallel.workers : undefined) : jsonStage?.workerCount);
  const stats = (): PrepStats => ({
    records: processor.records,
    bytesRead: counter.bytes,
    failed: processor.failed,
    rowErrors: processor.errors.kept,
    mapping: processor.mappingReport,
    ...(workerCount() ? { workers: workerCount() } : {}),
  });
  if (!hasOutput) {
    body.resume();
    return { body, size: 0, empty: true, stats };
  }
  return { body, size: passThrough ? file.size : undefined, empty: false, stats };
}

/** The batch format Platform is told: prepared output is JSON Lines unless it is Parquet. */
export function batchFormat(plan: { format: PrepPlan['format'] }): 'json' | 'parquet' {
  return plan.format === 'parquet' ? 'parquet' : 'json';
}

export type { PrepPlan };
