import { Transform, TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/**
 * Passes bytes through unchanged while counting JSON Lines records (non-blank lines) and bytes.
 * The pass-through fast path: nothing is parsed or re-serialised.
 */
export class JsonLinesCounter extends Transform {
  records = 0;
  bytes = 0;
  private lineHasContent = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.lineHasContent || !isBlank(chunk, start, nl)) this.records++;
      this.lineHasContent = false;
      start = nl + 1;
    }
    if (start < chunk.length && !isBlank(chunk, start, chunk.length)) this.lineHasContent = true;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.lineHasContent) this.records++;
    done();
  }
}
