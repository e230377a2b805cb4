import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { workerError } from './prep-errors';
import type { RecordProcessor } from './record-processor';
import { rejectedRowLine, type RowError } from './row-errors';

/*
 * Worker threads that convert the pieces of one file, for the stages that use more than one core
 * (parallel-csv-stage.ts, json-stage.ts on JSON Lines). Pieces go to the least busy worker;
 * results come back in any order and are handed on in the order the pieces were sent. At most
 * two pieces per worker are in flight, so memory stays bounded whatever the file's size: the
 * stage holds its writer's callback until there is room.
 */

export interface ParallelOptions {
  workers: number;
  blockBytes: number;
  /** Files smaller than this are converted on the main thread (starting workers costs ~50 ms). */
  minBytes: number;
}

/** Asked once: a system call, and every file's preparation asks (14 ms per 1000 small files). */
let coresAvailable: number | undefined;

/** DATAFLOWD_PREP_WORKERS sets the number of worker threads (0: all on the main thread); by default one per core, up to 4, none on one core. */
export function defaultParallelOptions(env: NodeJS.ProcessEnv = process.env): ParallelOptions {
  const fromEnv = env.DATAFLOWD_PREP_WORKERS === undefined ? NaN : Number(env.DATAFLOWD_PREP_WORKERS);
  const cores = (coresAvailable ??= availableParallelism());
  const workers = Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : cores > 1 ? Math.min(cores, 4) : 0;
  return { workers, blockBytes: 1024 * 1024, minBytes: 16 * 1024 * 1024 };
}

/** Converted lines (UTF-8), or a rejected row whose row and line numbers count from the piece's start. */
export type WorkerPiece = Uint8Array | RowError;

/** What a worker sends back for a piece. */
export interface PieceResult {
  seq: number;
  pieces: WorkerPiece[];
  /** Rows of the piece (blank lines are none). */
  rows: number;
  records: number;
  error?: { message: string; line?: number; csv?: boolean };
}

/** A worker's script (a name, or a path): next to this file once built; from the build when run from the sources (tests). */
function workerScript(name: string): string {
  if (path.isAbsolute(name)) return name;
  const here = path.join(__dirname, `${name}.js`);
  return existsSync(here) ? here : path.resolve(__dirname, '..', '..', 'dist', 'src', 'prep', `${name}.js`);
}

export interface OrderedWorkersEvents<R extends PieceResult> {
  /** A piece's result, in the order the pieces were sent. */
  result(r: R): void;
  /** A worker failed, or `result` threw: the stage is to be destroyed with this error. */
  fail(err: Error): void;
}

export class OrderedWorkers<R extends PieceResult> {
  private workers: Worker[] = [];
  private busy: number[] = [];
  private nextSeq = 0;
  private nextOut = 0;
  private readonly results = new Map<number, R>();
  private waiting?: () => void;
  private idle?: () => void;
  private stopped = false;

  constructor(
    private readonly script: string,
    private readonly workerData: unknown,
    private readonly count: number,
    private readonly fileName: string,
    private readonly on: OrderedWorkersEvents<R>,
    private readonly resourceLimits?: ResourceLimits,
  ) {}

  /** Sends a piece (numbered here) to the least busy worker; its buffers go over with it. */
  send(piece: object, transfer: ArrayBuffer[]): void {
    if (this.workers.length === 0) this.start();
    const w = this.busy.indexOf(Math.min(...this.busy));
    this.busy[w]++;
    this.workers[w].postMessage({ ...piece, seq: this.nextSeq++ }, transfer);
  }

  /** Calls `go` once fewer than two pieces per worker are in flight (now, if they are). */
  whenRoom(go: () => void): void {
    if (this.inFlight() < 2 * this.count) go();
    else this.waiting = go;
  }

  /** Calls `go` once every piece sent has been handed on, then stops the workers. */
  whenDone(go: () => void): void {
    this.idle = go;
    this.deliver();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }

  private start(): void {
    for (let i = 0; i < this.count; i++) {
      const w = new Worker(workerScript(this.script), { workerData: this.workerData, resourceLimits: this.resourceLimits });
      w.on('message', (r: R) => this.received(i, r));
      w.on('error', (err) => this.fail(workerError(this.fileName, err.message, err)));
      // A worker that stops on its own would leave its pieces unanswered, and the file waiting for ever.
      w.on('exit', (code) => {
        if (this.workers.includes(w)) this.fail(workerError(this.fileName, `the worker thread stopped (exit code ${code})`));
      });
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  private inFlight(): number {
    return this.nextSeq - this.nextOut;
  }

  private received(worker: number, r: R): void {
    this.busy[worker]--;
    if (this.stopped) return;
    this.results.set(r.seq, r);
    // Called from a worker's message, outside any stream callback: a throw here would take the process down.
    try {
      this.deliver();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private deliver(): void {
    for (let r = this.results.get(this.nextOut); r !== undefined; r = this.results.get(this.nextOut)) {
      this.results.delete(this.nextOut++);
      this.on.result(r);
    }
    if (this.waiting && this.inFlight() < 2 * this.count) {
      const go = this.waiting;
      this.waiting = undefined;
      go();
    }
    if (this.idle && this.inFlight() === 0) {
      const go = this.idle;
      this.idle = undefined;
      this.stop();
      go();
    }
  }

  private fail(err: Error): void {
    if (this.stopped) return;
    this.stop();
    this.on.fail(err);
  }
}

/**
 * Pushes a piece's converted lines and rejected rows, with row and line numbers made absolute
 * (`rowsBefore`, `linesBefore`: those of the pieces before it), and counts them on `processor`.
 */
export function emitPieces(r: PieceResult, processor: RecordProcessor, push: (chunk: Buffer) => void, rowsBefore: number, linesBefore = 0): void {
  for (const piece of r.pieces) {
    if (piece instanceof Uint8Array) {
      push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      continue;
    }
    const e: RowError = { ...piece, rowNumber: piece.rowNumber + rowsBefore };
    if (piece.lineNumber !== undefined) e.lineNumber = piece.lineNumber + linesBefore;
    processor.errors.add(e);
    push(Buffer.from(`${rejectedRowLine(e)}\n`));
  }
  processor.records += r.records;
}

/**
 * Takes the first `bytes` of `pending` (which loses them) into one new buffer: the piece a
 * worker takes over (copied once).
 */
export function takeFront(pending: Buffer[], bytes: number): Uint8Array {
  const piece = new Uint8Array(bytes);
  let at = 0;
  while (at < bytes) {
    const head = pending[0];
    const n = Math.min(head.length, bytes - at);
    piece.set(head.subarray(0, n), at);
    at += n;
    if (n === head.length) pending.shift();
    else pending[0] = head.subarray(n);
  }
  return piece;
}

/** Output is encoded every 64 KiB: lines held for a whole piece outlive the young generation and cost a worker a third of its time in GC. */
const PIECE_TEXT_CHARS = 64 * 1024;

/** A worker's output for one piece: its converted lines, encoded in runs, and its rejected rows between them. */
export class PieceOutput {
  readonly pieces: WorkerPiece[] = [];
  private lines: string[] = [];
  private chars = 0;
  private readonly encoder = new TextEncoder();

  constructor(private readonly processor: RecordProcessor) {}

  /** What the processor returned for a record: its line, or (when it rejected it) its row error. */
  take(line: string): void {
    const rejected = this.processor.lastRejection;
    if (rejected === undefined) {
      this.lines.push(line);
      this.chars += line.length;
      if (this.chars >= PIECE_TEXT_CHARS) this.flush();
      return;
    }
    this.processor.lastRejection = undefined;
    this.flush();
    this.pieces.push(rejected);
  }

  finish(): WorkerPiece[] {
    this.flush();
    return this.pieces;
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.lines.push('');
    this.pieces.push(this.encoder.encode(this.lines.join('\n')));
    this.lines = [];
    this.chars = 0;
  }
}

/** The Uint8Array pieces' buffers, to transfer with a result. */
export function transferable(pieces: WorkerPiece[]): ArrayBuffer[] {
  return pieces.filter((p): p is Uint8Array => p instanceof Uint8Array).map((p) => p.buffer as ArrayBuffer);
}
