import { Transform, type TransformCallback } from 'node:stream';
import { CsvRecordScanner } from './csv-blocks';
import { decoderFor, type Decoder, isBlankRecord } from './csv-stage';
import { CsvFatalError, CsvTokenizer } from './csv-tokenizer';
import { emitPieces, OrderedWorkers, type ParallelOptions, type PieceResult, takeFront } from './ordered-workers';
import { csvHeaderError, csvSyntaxError, recordTooLongReason, workerError } from './prep-errors';
import type { CsvOptions, PrepPlan } from './prep-plan';
import type { RecordProcessor } from './record-processor';

/*
 * CSV → XDM on several cores. The main thread reads the header itself (so the mapping report is
 * its own), then cuts the rest into pieces of about `blockBytes` at record ends (csv-blocks.ts)
 * and hands them to worker threads (csv-worker.ts, through ordered-workers.ts), each converting
 * pieces with its own copy of the prep plan. Results are put back in file order; row numbers are
 * made absolute and rejected rows rendered here, so the output is byte for byte what CsvStage
 * writes.
 *
 * A record longer than format.maxRecordSize is not held here either: once the bytes since the
 * last record end pass the limit, they are dropped until the record ends, and the record goes
 * to a worker as an `oversized` piece, which rejects it as CsvStage would. Here the limit counts
 * bytes, where CsvStage counts characters: a record of multi-byte text just under the limit in
 * characters but over it in bytes is rejected here and not there.
 */

export interface CsvWorkerData {
  source: NonNullable<PrepPlan['source']>;
  fileName: string;
  columns: string[];
  csv: CsvOptions;
}

export interface WorkerBlock {
  bytes: Uint8Array;
  /** The line the piece starts on. */
  firstLine: number;
  /** The file's last piece: a record may end without a line end, a quote may be left open. */
  last: boolean;
  /** One record longer than the limit, its bytes dropped: rejected for its length. */
  oversized?: boolean;
}

export class ParallelCsvStage extends Transform {
  private readonly scanner: CsvRecordScanner;
  private readonly decoder: Decoder;
  private readonly headerTokenizer: CsvTokenizer;
  private header?: string[];
  private blankBeforeHeader = false;
  /** Bytes not yet sent, and where the last record end among them lies. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private cut = { bytes: -1, lines: 0 };
  private startLine = 1;
  /** Set while the bytes of a record longer than the limit go by: dropped, not held. */
  private discarding?: { firstLine: number };
  private pool?: OrderedWorkers<PieceResult>;
  private rowsBefore = 0;

  constructor(
    private readonly processor: RecordProcessor,
    private readonly csv: CsvOptions,
    private readonly source: NonNullable<PrepPlan['source']>,
    private readonly fileName: string,
    private readonly opts: ParallelOptions,
    private readonly maxRecordBytes: number,
  ) {
    super();
    this.scanner = new CsvRecordScanner(csv);
    this.decoder = decoderFor(csv.encoding);
    this.headerTokenizer = new CsvTokenizer(
      csv,
      {
        record: (fields) => this.headerRecord(fields),
        badRecord: (message, line) => {
          throw csvSyntaxError(this.fileName, `the header: ${message}`, line);
        },
      },
      { maxRecordChars: maxRecordBytes },
    );
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.header === undefined) this.readHeader(chunk);
      else this.addBytes(chunk, 0);
      if (this.pool) this.pool.whenRoom(done);
      else done();
    } catch (err) {
      done(this.fileError(err));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.header === undefined) {
        // Never got past the header: the tokenizer settles it (a header alone, or blank lines only).
        this.headerTokenizer.write(this.decoder.write(Buffer.concat(this.pending)));
        this.headerTokenizer.write(this.decoder.end());
        this.headerTokenizer.end();
        done();
        return;
      }
      if (this.discarding) {
        if (this.scanner.inQuotes) throw csvSyntaxError(this.fileName, 'a quoted field is still open at the end of the file', this.discarding.firstLine);
        this.sendOversized(this.scanner.lines);
      } else if (this.pendingBytes > 0) {
        this.send(this.pendingBytes, this.scanner.lines, true);
      }
      if (this.pool) this.pool.whenDone(done);
      else done();
    } catch (err) {
      done(this.fileError(err));
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.pool?.stop();
    done(err);
  }

  /**
   * Feeds the header tokenizer one record at a time until it has the header; the bytes after it
   * start the first piece. (A record that ends at a CR is known to end only at the next byte,
   * which the scanner has then already read: the piece's scan starts after it.)
   */
  private readHeader(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const { end, lines } = this.scanner.scan(chunk, i, i + 1);
      if (end < 0) continue;
      this.headerTokenizer.write(this.decoder.write(Buffer.concat([...this.pending, chunk.subarray(0, end)])));
      this.pending = [];
      this.pendingBytes = 0;
      if (this.header !== undefined) {
        this.startLine = lines + 1;
        this.addBytes(chunk.subarray(end), i + 1 - end);
        return;
      }
      chunk = chunk.subarray(end);
      i -= end;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > this.maxRecordBytes) throw csvSyntaxError(this.fileName, `the header: ${recordTooLongReason(this.maxRecordBytes)}`, 1);
  }

  private headerRecord(fields: string[]): void {
    if (this.header !== undefined) return;
    if (isBlankRecord(fields)) {
      this.blankBeforeHeader = true;
      return;
    }
    if (this.blankBeforeHeader) throw csvHeaderError(this.fileName);
    this.header = fields.map((name) => name.trim());
    this.processor.setHeader(this.header);
  }

  /**
   * Adds bytes (scanned from `scanFrom` on); sends a piece whenever a record end lies past
   * blockBytes, and starts dropping bytes when the record after the last end outgrows the limit.
   */
  private addBytes(chunk: Buffer, scanFrom: number): void {
    if (this.discarding) {
      const { end, lines, scanned } = this.scanner.scan(chunk, scanFrom, chunk.length, true);
      if (end < 0) return;
      this.sendOversized(lines);
      this.addBytes(chunk.subarray(end), scanned - end);
      return;
    }
    const { end, lines } = this.scanner.scan(chunk, scanFrom, chunk.length);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (end >= 0) this.cut = { bytes: this.pendingBytes - chunk.length + end, lines };
    if (this.cut.bytes >= this.opts.blockBytes) this.send(this.cut.bytes, this.cut.lines, false);
    if (this.pendingBytes - Math.max(this.cut.bytes, 0) <= this.maxRecordBytes) return;
    if (this.cut.bytes > 0) this.send(this.cut.bytes, this.cut.lines, false);
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = { firstLine: this.startLine };
  }

  /** The record being dropped ended (its last line is `lines`): a piece that stands for it. */
  private sendOversized(lines: number): void {
    const block: WorkerBlock = { bytes: new Uint8Array(0), firstLine: this.discarding!.firstLine, last: false, oversized: true };
    this.discarding = undefined;
    this.startLine = lines + 1;
    this.dispatch(block);
  }

  /** Sends the first `bytes` pending bytes as a piece (copied once, into a buffer the worker takes over). */
  private send(bytes: number, lines: number, last: boolean): void {
    const piece = takeFront(this.pending, bytes);
    this.pendingBytes -= bytes;
    this.cut = { bytes: -1, lines };
    const block: WorkerBlock = { bytes: piece, firstLine: this.startLine, last };
    this.startLine = lines + 1;
    this.dispatch(block);
  }

  /** To the workers (started at the first piece); the piece's buffer goes over with it. */
  private dispatch(block: WorkerBlock): void {
    this.pool ??= new OrderedWorkers<PieceResult>('csv-worker', { source: this.source, fileName: this.fileName, columns: this.header!, csv: this.csv } satisfies CsvWorkerData, this.opts.workers, this.fileName, {
      result: (r) => this.emitResult(r),
      fail: (err) => this.destroy(err),
    });
    this.pool.send(block, [block.bytes.buffer as ArrayBuffer]);
  }

  /** A piece's result, in file order. */
  private emitResult(r: PieceResult): void {
    if (r.error) throw r.error.csv ? csvSyntaxError(this.fileName, r.error.message, r.error.line) : workerError(this.fileName, r.error.message);
    emitPieces(r, this.processor, (chunk) => this.push(chunk), this.rowsBefore);
    this.rowsBefore += r.rows;
  }

  private fileError(err: unknown): Error {
    if (err instanceof CsvFatalError) return csvSyntaxError(this.fileName, err.message, err.line);
    return err as Error;
  }
}
