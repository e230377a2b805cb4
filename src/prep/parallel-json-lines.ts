import { emitPieces, OrderedWorkers, type ParallelOptions, type PieceResult, takeFront } from './ordered-workers';
import { workerError } from './prep-errors';
import type { PrepPlan } from './prep-plan';
import type { RecordProcessor } from './record-processor';

/*
 * JSON Lines checked on several cores (json-stage.ts hands over once it knows the layout). The
 * bytes are cut at line ends into pieces of about `blockBytes` — a line end is one byte that no
 * UTF-8 character holds, so the cut needs no decoding — and each piece goes to a worker thread
 * (json-lines-worker.ts) that parses, renames and checks its records with its own copy of the
 * prep plan. Results are put back in file order, row and line numbers made absolute, rejected
 * rows rendered here: the output is byte for byte what JsonStage writes on the main thread.
 *
 * A line longer than format.maxRecordSize is not held: once the bytes since the last line end
 * pass the limit, they are dropped up to the next one and the line goes as an `oversized` piece,
 * rejected for its length. The limit counts bytes here, characters on the main thread (as in
 * parallel-csv-stage.ts).
 */

export interface JsonLinesWorkerData {
  source: NonNullable<PrepPlan['source']>;
  fileName: string;
}

export interface JsonLinesBlock {
  bytes: Uint8Array;
  /** The file's first piece: its first line may start with a byte order mark. */
  first: boolean;
  /** The file's last piece: its last line may have no line end. */
  last: boolean;
  /** One line longer than the limit, its bytes dropped: rejected for its length. */
  oversized?: boolean;
}

export interface JsonLinesResult extends PieceResult {
  /** Lines of the piece, blank ones included. */
  lines: number;
}

const NEWLINE = 0x0a;

/**
 * A worker's young generation, capped: with V8's default, a 300 MB file checked on 2 workers
 * peaked at 314–320 MB of RSS, against 204–222 MB capped, for 0–8% less CPU. CSV workers keep
 * the default: the same cap cost them a third more CPU (their rows leave more garbage).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

export class ParallelJsonLines {
  private readonly pool: OrderedWorkers<JsonLinesResult>;
  /** Bytes not yet sent, and the offset just past the last line end among them (-1: none). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private cut = -1;
  private discarding = false;
  private sent = 0;
  private rowsBefore = 0;
  private linesBefore = 0;

  constructor(
    private readonly processor: RecordProcessor,
    source: NonNullable<PrepPlan['source']>,
    private readonly fileName: string,
    private readonly opts: ParallelOptions,
    private readonly maxRecordBytes: number,
    push: (chunk: Buffer) => void,
    fail: (err: Error) => void,
  ) {
    const workerData: JsonLinesWorkerData = { source, fileName };
    this.pool = new OrderedWorkers('json-lines-worker', workerData, opts.workers, fileName, {
      result: (r) => {
        if (r.error) throw workerError(this.fileName, r.error.message);
        emitPieces(r, this.processor, push, this.rowsBefore, this.linesBefore);
        this.rowsBefore += r.rows;
        this.linesBefore += r.lines;
      },
      fail,
    }, WORKER_LIMITS);
  }

  get workers(): number {
    return this.opts.workers;
  }

  /** Calls `ready` once the workers have room for more bytes (now, if they have). */
  whenRoom(ready: () => void): void {
    this.pool.whenRoom(ready);
  }

  /** The file ended: sends what is left; `done` is called once every piece's lines are out. */
  end(done: () => void): void {
    if (this.discarding) this.sendOversized();
    else if (this.pendingBytes > 0) this.send(this.pendingBytes, true);
    this.pool.whenDone(done);
  }

  stop(): void {
    this.pool.stop();
  }

  /** Takes bytes: sends a piece whenever a line end lies past blockBytes, drops the bytes of a line past the limit. */
  add(chunk: Buffer): void {
    if (this.discarding) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) return;
      this.sendOversized();
      chunk = chunk.subarray(nl + 1);
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const nl = chunk.lastIndexOf(NEWLINE);
    if (nl >= 0) this.cut = this.pendingBytes - chunk.length + nl + 1;
    if (this.cut >= this.opts.blockBytes) this.send(this.cut, false);
    if (this.pendingBytes - Math.max(this.cut, 0) <= this.maxRecordBytes) return;
    if (this.cut > 0) this.send(this.cut, false);
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = true;
  }

  /** Sends the first `bytes` pending bytes as a piece (copied once, into a buffer the worker takes over). */
  private send(bytes: number, last: boolean): void {
    const piece = takeFront(this.pending, bytes);
    this.pendingBytes -= bytes;
    this.cut = -1;
    this.dispatch({ bytes: piece, first: this.sent === 0, last });
  }

  private sendOversized(): void {
    this.discarding = false;
    this.dispatch({ bytes: new Uint8Array(0), first: this.sent === 0, last: false, oversized: true });
  }

  private dispatch(block: JsonLinesBlock): void {
    this.sent++;
    this.pool.send(block, [block.bytes.buffer as ArrayBuffer]);
  }
}
