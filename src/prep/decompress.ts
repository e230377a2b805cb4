import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { gzipError, inflatedTooLargeError } from './prep-errors';

/*
 * Compression (DESIGN.md §3 format.compression): gzip is recognised by its extension (.gz,
 * .gzip) or its magic bytes (1f 8b) under `auto`, always taken as gzip under `gzip`, never under
 * `none`. Decompression streams; a truncated or corrupt stream fails the file with a clear reason
 * instead of zlib's, and so does one that inflates past the configured size (a gzip bomb).
 */

export function isGzip(compression: 'auto' | 'none' | 'gzip', fileName: string, head: Buffer): boolean {
  if (compression === 'none') return false;
  if (compression === 'gzip') return true;
  return /\.gz(ip)?$/i.test(fileName) || (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b);
}

const MAGIC_BYTES = 2;

/**
 * Bytes in, the file's content out: gunzipped when the file is gzip (decided on its first two
 * bytes, see isGzip), else passed on. zlib sits behind a Transform of our own so that its errors
 * are ours and that it inflates no faster than the next stage reads: zlib is paused whenever
 * this stage's output is full, so a small file that inflates to gigabytes costs no memory.
 *
 * Any zlib error destroys this stage with the file's error: zlib never calls back a write after
 * it failed, so waiting for that callback would hang the file forever.
 */
export class DecompressStage extends Transform {
  /** Known once the first bytes were seen (or the file ended before). */
  gzip?: boolean;
  /** Bytes out of zlib so far. */
  inflated = 0;
  private zlib?: Gunzip;
  private head: Buffer[] = [];
  private headBytes = 0;

  constructor(
    private readonly compression: 'auto' | 'none' | 'gzip',
    private readonly fileName: string,
    private readonly maxInflatedBytes = Number.POSITIVE_INFINITY,
  ) {
    super();
    if (compression !== 'auto') this.decide(Buffer.alloc(0));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.gzip === undefined) {
      this.head.push(chunk);
      this.headBytes += chunk.length;
      if (this.headBytes < MAGIC_BYTES) return done();
      chunk = Buffer.concat(this.head, this.headBytes);
      this.head = [];
      this.decide(chunk);
    }
    if (!this.zlib) return done(null, chunk);
    this.zlib.write(chunk, (err) => {
      // After an error the stage is already destroyed with it (see the 'error' listener).
      if (!err) done();
    });
  }

  override _flush(done: TransformCallback): void {
    if (this.gzip === undefined) {
      const rest = Buffer.concat(this.head, this.headBytes);
      this.head = [];
      this.decide(rest);
      if (!this.zlib) return done(null, rest);
      this.zlib.write(rest);
    }
    if (!this.zlib) return done();
    this.zlib.once('end', () => done());
    this.zlib.end();
  }

  override _read(size: number): void {
    this.zlib?.resume();
    super._read(size);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.zlib?.destroy();
    cb(err);
  }

  private decide(head: Buffer): void {
    this.gzip = isGzip(this.compression, this.fileName, head);
    if (!this.gzip) return;
    const zlib = createGunzip();
    zlib.on('data', (out: Buffer) => {
      if (this.destroyed) return;
      this.inflated += out.length;
      if (this.inflated > this.maxInflatedBytes) {
        this.destroy(inflatedTooLargeError(this.fileName, this.maxInflatedBytes));
        return;
      }
      if (!this.push(out)) zlib.pause();
    });
    zlib.on('error', (err) => this.destroy(gzipError(this.fileName, err)));
    this.zlib = zlib;
  }
}
