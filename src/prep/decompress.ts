import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { gzipError } from './prep-errors';

/*
 * Compression (DESIGN.md §3 format.compression): gzip is recognised by its extension (.gz,
 * .gzip) or its magic bytes (1f 8b) under `auto`, always taken as gzip under `gzip`, never under
 * `none`. Decompression streams; a truncated or corrupt stream fails the file with a clear reason
 * instead of zlib's.
 */

export function isGzip(compression: 'auto' | 'none' | 'gzip', fileName: string, head: Buffer): boolean {
  if (compression === 'none') return false;
  if (compression === 'gzip') return true;
  return /\.gz(ip)?$/i.test(fileName) || (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b);
}

/** zlib's gunzip behind a Transform of our own, so that its errors are ours. */
export class GunzipStage extends Transform {
  private readonly zlib: Gunzip = createGunzip();
  private failure?: Error;

  constructor(private readonly fileName: string) {
    super();
    this.zlib.on('data', (chunk: Buffer) => this.push(chunk));
    this.zlib.on('error', (err) => (this.failure ??= gzipError(this.fileName, err)));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.failure) return done(this.failure);
    this.zlib.write(chunk, (err) => done(this.failure ?? (err ? gzipError(this.fileName, err) : undefined)));
  }

  override _flush(done: TransformCallback): void {
    if (this.failure) return done(this.failure);
    let called = false;
    const finish = (err?: Error) => {
      if (called) return;
      called = true;
      done(err);
    };
    this.zlib.once('end', () => finish(this.failure));
    this.zlib.once('error', () => finish(this.failure));
    this.zlib.end();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.zlib.destroy();
    cb(err);
  }
}
