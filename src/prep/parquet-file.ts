import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { AsyncBuffer, Compressors } from 'hyparquet' with { 'resolution-mode': 'import' };
import type { PathSegment } from './field-path';
import { parquetError } from './prep-errors';
import type { PrepPlan } from './prep-plan';
import { RowErrorLog } from './row-errors';
import { type SchemaFields, typeAt } from './schema-fields';

/*
 * Parquet goes to Platform as Parquet, unchanged, with its record count. Reading it needs random
 * access (the footer is at the end), so the stream is first spooled to a temporary file — disk,
 * not memory — which is then read for the count, checked row group by row group against the
 * dataset schema when one is known (bad rows become row errors; the file cannot be rewritten
 * without them, so Platform's own validation decides what lands), and streamed to Platform.
 */

export interface ParquetPrep {
  body: Readable;
  size: number;
  records: number;
  errors: RowErrorLog;
  /** The first rows, as checked (for --dry-run). */
  firstRecords: unknown[];
}

const SAMPLE_ROWS = 5;

type Hyparquet = typeof import('hyparquet', { with: { 'resolution-mode': 'import' } });
let hyparquet: Promise<Hyparquet> | undefined;

/** hyparquet is an ES module; dataflowd is CommonJS. */
function loadHyparquet(): Promise<Hyparquet> {
  hyparquet ??= import('hyparquet');
  return hyparquet;
}

const compressors: Compressors = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliDecompressSync(input)),
};

/** `stages` (decompression, counting) stand between the source and the spooled file. */
export async function prepareParquet(source: Readable, stages: NodeJS.ReadWriteStream[], fileName: string, plan: PrepPlan, datasetFields: SchemaFields | undefined): Promise<ParquetPrep> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-parquet-'));
  const file = path.join(dir, 'file.parquet');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline([source, ...stages, createWriteStream(file)]);
    const handle = await open(file, 'r');
    const errors = new RowErrorLog();
    const firstRecords: unknown[] = [];
    let records: number;
    let size: number;
    try {
      size = (await handle.stat()).size;
      const { parquetMetadataAsync, parquetReadObjects } = await loadHyparquet();
      const buffer = fileBuffer(handle, size);
      let metadata;
      try {
        metadata = await parquetMetadataAsync(buffer);
      } catch (err) {
        throw parquetError(fileName, err);
      }
      records = Number(metadata.num_rows);
      let rowStart = 0;
      for (const group of metadata.row_groups) {
        const rowEnd = rowStart + Number(group.num_rows);
        if (plan.check || firstRecords.length < SAMPLE_ROWS) {
          let rows: Record<string, unknown>[];
          try {
            rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors });
          } catch (err) {
            throw parquetError(fileName, err);
          }
          rows.forEach((row, i) => {
            const record = plain(row, [], datasetFields) as Record<string, unknown>;
            if (firstRecords.length < SAMPLE_ROWS) firstRecords.push(record);
            const problem = plan.check?.(record);
            if (problem) {
              errors.add({ fileName, rowNumber: rowStart + i + 1, path: problem.path || undefined, code: problem.code, message: problem.message });
            }
          });
          if (!plan.check && firstRecords.length >= SAMPLE_ROWS) break;
        }
        rowStart = rowEnd;
      }
    } finally {
      await handle.close();
    }
    const body = createReadStream(file);
    body.once('close', () => void cleanup());
    return { body, size, records, errors, firstRecords };
  } catch (err) {
    source.destroy();
    await cleanup();
    throw err;
  }
}

function fileBuffer(handle: Awaited<ReturnType<typeof open>>, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const buf = Buffer.alloc(Math.max(0, stop - start));
      await handle.read(buf, 0, buf.length, start);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    },
  };
}

/**
 * Parquet values as JSON would hold them, so that the JSON Schema check sees what Platform
 * sees: 64-bit integers as numbers, timestamps as ISO 8601 (dates as yyyy-MM-dd where the
 * schema says date), bytes as base64.
 */
function plain(v: unknown, at: PathSegment[], fields: SchemaFields | undefined): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return typeAt(fields, at) === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x, i) => plain(x, [...at, i], fields));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = plain(x, [...at, k], fields);
    return out;
  }
  return v;
}
