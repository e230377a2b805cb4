import { tmpdir } from 'node:os';
import { crashPoint } from '../lib/crash-points';
import { dataflowError, DataflowError, isAbortError } from '../lib/errors';
import type { PlatformHttp } from './platform-http';
import type { UploadSettings } from './types';

/*
 * The large-file upload (reference/aep-api.md §2.3): INITIALIZE the file, PATCH it in chunks
 * with Content-Range, COMPLETE it. Each chunk is a buffer, so unlike a streamed PUT it can be
 * sent again after a failure without reopening the source: chunks are retried one by one
 * (src/lib/retry.ts through PlatformHttp). Memory holds at most `chunksInFlight` chunks being
 * sent plus the one being filled, whatever the file's size, and reading the source waits while
 * every slot is busy.
 */

/** Platform refuses PATCH bodies over 512,000,000 bytes (§2.3, §4). */
export const MAX_CHUNK_BYTES = 512_000_000;

export const DEFAULT_UPLOAD_SETTINGS: UploadSettings = {
  // "Small" files are 256 MB or less [BI-GUIDE]; Platform's MB are decimal.
  largeFileBytes: 256_000_000,
  chunkBytes: 8 * 1024 * 1024,
  chunksInFlight: 4,
  spoolDir: tmpdir(),
};

export function resolveUploadSettings(given: Partial<UploadSettings> = {}): UploadSettings {
  const s = { ...DEFAULT_UPLOAD_SETTINGS, ...given };
  if (!(s.chunkBytes >= 1 && s.chunkBytes <= MAX_CHUNK_BYTES) || !(s.chunksInFlight >= 1) || !(s.largeFileBytes >= 0)) {
    throw dataflowError('ERR_PLATFORM_UPLOAD_SETTINGS', 'config', `invalid upload settings ${JSON.stringify(s)}: chunks of 1 to ${MAX_CHUNK_BYTES} bytes, at least one in flight`);
  }
  return s;
}

/**
 * Buffers of one size for a file's chunks, reused once their PATCH is over. A fresh 8 MiB buffer
 * per chunk kept the garbage collector busy for a quarter of a large upload's time; with reuse a
 * file costs at most `chunksInFlight + 1` allocations. `take` never waits: the uploader's own
 * limit on chunks in flight bounds how many are out at once.
 */
export class ChunkBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Hands a chunk (or a shorter view of one) back; its bytes may be overwritten from now on. */
  give(chunk: Buffer): void {
    if (chunk.byteOffset !== 0 || chunk.buffer.byteLength !== this.size || this.free.length >= this.keep) return;
    this.free.push(Buffer.from(chunk.buffer, 0, this.size));
  }
}

/**
 * The source cut into chunks of exactly `buffers.size` bytes, the last one shorter. Each chunk is
 * a buffer from `buffers`, valid until it is given back. A source that ends within its first chunk
 * (most files: a small file's prepared output) is yielded as its own pieces joined, never copied
 * into a chunk-sized buffer: 1,000 files of 100 KB cost 8 GB of fresh 8 MiB buffers that way, and a
 * quarter of the run's CPU went to allocating and collecting them.
 */
export async function* chunksOf(source: AsyncIterable<Buffer | string>, buffers: ChunkBuffers): AsyncGenerator<Buffer> {
  const size = buffers.size;
  const head: Buffer[] = [];
  let headLength = 0;
  let chunk: Buffer | undefined;
  let length = 0;
  for await (const piece of source) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (!chunk) {
      if (headLength + buf.length < size) {
        head.push(buf);
        headLength += buf.length;
        continue;
      }
      chunk = buffers.take();
      for (const kept of head) length += kept.copy(chunk, length);
      head.length = 0;
    }
    for (let at = 0; at < buf.length; ) {
      const copied = buf.copy(chunk, length, at);
      length += copied;
      at += copied;
      if (length === size) {
        yield chunk;
        chunk = buffers.take();
        length = 0;
      }
    }
  }
  if (!chunk) {
    if (headLength > 0) yield Buffer.concat(head, headLength);
  } else if (length > 0) yield chunk.subarray(0, length);
  else buffers.give(chunk);
}

const JSON_TYPE = { 'content-type': 'application/json' };

export interface LargeFileUpload {
  http: PlatformHttp;
  /** The file's URL path below the endpoint (already encoded). */
  path: string;
  /** Chunks of the file, in order, each at most settings.chunkBytes. */
  chunks: AsyncIterator<Buffer>;
  /** The file's size: sent as every Content-Range's total (Platform wants it) and checked at the end. */
  size: number;
  settings: UploadSettings;
  /** Where the chunks' buffers go back once sent, when they came from a ChunkBuffers. */
  buffers?: ChunkBuffers;
  signal?: AbortSignal;
}

/** INITIALIZE, every chunk, COMPLETE. Returns the bytes sent. A failed chunk fails the upload once its retries are spent. */
export async function uploadLargeFile(u: LargeFileUpload): Promise<number> {
  const { http, path, signal } = u;
  // The API description requires a Content-Type on these two calls, though they carry no body.
  await http.json({ method: 'POST', path, query: { action: 'INITIALIZE' }, headers: JSON_TYPE, signal });
  // Chunks still flying when another fails are cancelled: the whole file is sent again anyway.
  const cancel = new AbortController();
  const chunkSignal = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal;
  const flying = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let offset = 0;
  let sent = 0;
  try {
    for (let next = await u.chunks.next(); !next.done && !failure; next = await u.chunks.next()) {
      const chunk = next.value;
      const start = offset;
      offset += chunk.length;
      if (offset > u.size) throw sizeMismatch(path, u.size, `more than ${u.size}`);
      const range = `bytes ${start}-${offset - 1}/${u.size}`;
      const sending: Promise<void> = http
        .json({ method: 'PATCH', path, bytes: chunk, headers: { 'content-range': range }, signal: chunkSignal })
        .then(() => {
          if (++sent === 1) crashPoint('mid-upload');
        })
        .catch((err: unknown) => {
          failure ??= { err };
          cancel.abort(err);
        })
        .finally(() => {
          flying.delete(sending);
          u.buffers?.give(chunk);
        });
      flying.add(sending);
      while (flying.size >= u.settings.chunksInFlight && !failure) await Promise.race(flying);
    }
    await Promise.all(flying);
  } catch (err) {
    cancel.abort(err);
    await Promise.allSettled(flying);
    throw err;
  }
  if (failure) {
    // The first failure is the cause; the aborts it made the other chunks suffer are not.
    if (isAbortError(failure.err) && signal?.aborted) throw signal.reason;
    throw failure.err;
  }
  if (offset !== u.size) throw sizeMismatch(path, u.size, String(offset));
  await http.json({ method: 'POST', path, query: { action: 'COMPLETE' }, headers: JSON_TYPE, signal });
  return offset;
}

function sizeMismatch(path: string, expected: number, got: string): DataflowError {
  // Same code as a streamed PUT whose body disagrees with its Content-Length (platform-errors.ts).
  return dataflowError('ERR_PLATFORM_UPLOAD_SIZE_MISMATCH', 'data', `PATCH ${path}: the source was to have ${expected} bytes, it had ${got}`, {
    context: { path, expected },
  });
}
