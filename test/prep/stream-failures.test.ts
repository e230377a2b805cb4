import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { ParallelOptions } from '../../src/prep/ordered-workers';
import type { PrepPlan } from '../../src/prep/prep-plan';
import { prepareFile } from '../../src/prep/prepare';
import { plan, PRODUCT_SCHEMA } from './prep-harness';
import { writeParquet } from './parquet-writer';

/*
 * A stream that fails must end its file with a clear error, whatever the stage and whenever it
 * fails: never a run that hangs. Every case runs under a deadline of its own, so that a hang
 * fails the test in seconds instead of stalling the suite.
 */

const DEADLINE_MS = 3000;

function within<T>(what: Promise<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still not settled after ${ms} ms: the stream hangs`)), ms)));
  return Promise.race([what, late]).finally(() => clearTimeout(timer));
}

/** Prepares the file and reads all of its output, as an upload would. */
async function prepareAndRead(src: Readable, name: string, size: number, p: PrepPlan, parallel?: ParallelOptions): Promise<Buffer> {
  const prepared = await prepareFile(src, { path: name, size }, { prep: p }, { parallel });
  const chunks: Buffer[] = [];
  for await (const c of prepared.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Hands out `bytes` in pieces, then fails (with `err`, or closes without one when err is undefined). */
function failingSource(bytes: Buffer, err: Error | undefined, pieceBytes = 4096): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at < bytes.length) {
        this.push(bytes.subarray(at, at + pieceBytes));
        at += pieceBytes;
        return;
      }
      setImmediate(() => this.destroy(err));
    },
  });
}

function chunked(bytes: Buffer, pieceBytes = 4096): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceBytes) pieces.push(bytes.subarray(i, i + pieceBytes));
  return Readable.from(pieces, { objectMode: false });
}

const HEADER = 'sku,name,price,stock,active,launched,updated\n';
const CSV = HEADER + Array.from({ length: 3000 }, (_, i) => `MJ01-${i},n${i},${i},1,no,2024-01-01,2024-01-01T00:00:00Z`).join('\n') + '\n';
const JSONL = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `r${i}`, _acme: { tier: 'gold' } })).join('\n') + '\n';
const PEOPLE = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } };
const PARQUET = writeParquet([{ name: 'sku', type: 'string', values: Array.from({ length: 500 }, (_, i) => `S${i}`) }]);

interface Format {
  name: string;
  file: string;
  content: Buffer;
  plan: () => PrepPlan;
  parallel?: ParallelOptions;
}

const FORMATS: Format[] = [
  { name: 'JSON Lines passed through', file: 'f.json', content: Buffer.from(JSONL), plan: () => plan({ format: { type: 'json' } }) },
  {
    name: 'JSON Lines parsed and checked',
    file: 'f.json',
    content: Buffer.from(JSONL),
    plan: () => plan({ format: { type: 'json' } }, { datasetSchema: PEOPLE }),
    parallel: { workers: 0, blockBytes: 1 << 20, minBytes: 0 },
  },
  {
    name: 'JSON Lines checked on worker threads',
    file: 'f.json',
    content: Buffer.from(JSONL),
    plan: () => plan({ format: { type: 'json' } }, { datasetSchema: PEOPLE }),
    parallel: { workers: 2, blockBytes: 8192, minBytes: 0 },
  },
  { name: 'a JSON array', file: 'f.json', content: Buffer.from(`[\n${JSONL.trim().split('\n').join(',\n')}\n]\n`), plan: () => plan({ format: { type: 'json' } }) },
  {
    name: 'CSV on the main thread',
    file: 'f.csv',
    content: Buffer.from(CSV),
    plan: () => plan({ format: { type: 'csv' }, mapping: { schema: 'p.json', auto: true } }, { mappingSchema: PRODUCT_SCHEMA, datasetSchema: PRODUCT_SCHEMA }),
    parallel: { workers: 0, blockBytes: 1 << 20, minBytes: 0 },
  },
  {
    name: 'CSV on worker threads',
    file: 'f.csv',
    content: Buffer.from(CSV),
    plan: () => plan({ format: { type: 'csv' }, mapping: { schema: 'p.json', auto: true } }, { mappingSchema: PRODUCT_SCHEMA, datasetSchema: PRODUCT_SCHEMA }),
    parallel: { workers: 2, blockBytes: 8192, minBytes: 0 },
  },
  { name: 'Parquet', file: 'f.parquet', content: PARQUET, plan: () => plan({ format: { type: 'parquet' } }) },
];

/** gzip of the content with its deflate data spoiled in the middle (the header stays valid). */
function corruptGzip(content: Buffer): Buffer {
  const gz = Buffer.from(gzipSync(content));
  for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64 && i < gz.length - 8; i++) gz[i] ^= 0xa5;
  return gz;
}

describe.each(FORMATS)('$name: a failing stream ends the file with a clear error, never a hang', (f) => {
  it('a .gz file that is not gzip at all', async () => {
    const bytes = Buffer.from('{"a":1}\n');
    await expect(within(prepareAndRead(chunked(bytes), `${f.file}.gz`, bytes.length, f.plan(), f.parallel))).rejects.toMatchObject({
      code: 'ERR_PREP_GZIP_CORRUPT',
      kind: 'data',
      message: expect.stringContaining(`${f.file}.gz: the gzip stream is corrupt`),
    });
  });

  it('gzip spoiled in the middle', async () => {
    // What the spoiled part inflates to may fail the file first (a JSON outline); zlib's check fails it at the latest.
    const bytes = corruptGzip(f.content);
    await expect(within(prepareAndRead(chunked(bytes, 512), `${f.file}.gz`, bytes.length, f.plan(), f.parallel))).rejects.toMatchObject({
      kind: 'data',
      message: expect.stringMatching(new RegExp(`^${f.file}\\.gz(:| line \\d+:) `)),
    });
  });

  it('the source fails before its first byte', async () => {
    const src = failingSource(Buffer.alloc(0), new Error('connection reset by the server'));
    await expect(within(prepareAndRead(src, f.file, f.content.length, f.plan(), f.parallel))).rejects.toThrow('connection reset by the server');
  });

  it('the source fails half way', async () => {
    const src = failingSource(f.content.subarray(0, Math.floor(f.content.length / 2)), new Error('connection reset by the server'));
    await expect(within(prepareAndRead(src, f.file, f.content.length, f.plan(), f.parallel))).rejects.toThrow('connection reset by the server');
  });

  it('the source fails half way through gzip', async () => {
    const gz = gzipSync(f.content);
    const src = failingSource(gz.subarray(0, Math.floor(gz.length / 2)), new Error('connection reset by the server'), 256);
    await expect(within(prepareAndRead(src, `${f.file}.gz`, gz.length, f.plan(), f.parallel))).rejects.toThrow('connection reset by the server');
  });

  it('the source closes half way without an error', async () => {
    const src = failingSource(f.content.subarray(0, Math.floor(f.content.length / 2)), undefined);
    await expect(within(prepareAndRead(src, f.file, f.content.length, f.plan(), f.parallel))).rejects.toThrow(/premature close/i);
  });

  it('the source closes before its first byte without an error', async () => {
    const src = failingSource(Buffer.alloc(0), undefined);
    await expect(within(prepareAndRead(src, f.file, f.content.length, f.plan(), f.parallel))).rejects.toThrow(/premature close/i);
  });

  it('still reads the whole file when nothing fails', async () => {
    await expect(within(prepareAndRead(chunked(gzipSync(f.content), 512), `${f.file}.gz`, 0, f.plan(), f.parallel))).resolves.toBeInstanceOf(Buffer);
  });
});
