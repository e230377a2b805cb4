import { type Clock, systemClock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { formatBytes, formatCount, formatDuration } from './human-units';
import { LiveLine, stderrLine } from './live-line';
import { RateMeter } from './rate-meter';

/**
 * What a run tells the progress display. Every callback is optional, for the run and for the
 * display: the run calls those it can, the display shows what it was told.
 */
export interface ProgressCallbacks {
  /** Files taken for the run, and their total size at the source, once, before any upload. */
  onTaken?: (files: number, bytes: number) => void;
  /** Bytes read from the source, as they stream (any file of the run). */
  onBytes?: (n: number) => void;
  /** A file starts (read → prepare → upload), or is done with: its records, and whether it failed. */
  onFile?: (event: FileEvent) => void;
  /** Where the run stands: a batch uploading, waiting for Platform to process it, settled. */
  onPhase?: (event: PhaseEvent) => void;
}

export type FileEvent =
  | { phase: 'start'; path: string; bytes: number }
  | { phase: 'done'; path: string; bytes: number; records: number; failed?: boolean };

export type PhaseEvent =
  | { phase: 'uploading'; batchId: string; files: number }
  /** Polled status of a completed batch: Platform's word (loading, processing, …). */
  | { phase: 'waiting'; batchId: string; status: string }
  | { phase: 'settled'; batchId: string; status: string };

export interface ProgressOptions {
  /** The dataflow, at the head of the line. */
  name?: string;
  /** `--quiet`: no progress at all. */
  quiet?: boolean;
  /** Off a terminal, progress goes to this logger as plain lines, at most every `plainEveryMs`. */
  logger?: Logger;
  plainEveryMs?: number;
  /** Default: stderr's status line, which the command's logger also writes through. */
  line?: LiveLine;
  clock?: Clock;
  /** How often the line is redrawn while nothing happens (ETA, time waiting); 0: never. */
  refreshMs?: number;
}

export interface Progress {
  callbacks: ProgressCallbacks;
  /** The line as it would be drawn now (for tests and the plain lines). */
  render(width?: number): string;
  stop(): void;
}

/** Redraws on bytes at most this often: a terminal need not be told 10 000 times a second. */
const MIN_REDRAW_MS = 100;

/**
 * The progress of `dataflowd run`: on a terminal, one live line for the run — files, records,
 * bytes, rate, ETA, then "waiting for Platform (batch …, processing)" — with the logs above it;
 * off a terminal, a plain progress line now and then through the logger; nothing with `--quiet`,
 * nor off a terminal without a logger.
 */
export function startProgress(opts: ProgressOptions = {}): Progress | undefined {
  const line = opts.line ?? stderrLine();
  if (opts.quiet || (!line.available && !opts.logger)) return undefined;
  const clock = opts.clock ?? systemClock;
  const state = new RunProgress(clock);
  const plainEveryMs = opts.plainEveryMs ?? 10_000;
  let lastDraw = -Infinity;
  let lastPlain = -Infinity;
  let lastPhase = '';

  const draw = (force: boolean) => {
    const now = clock.now().getTime();
    if (!state.started) return;
    if (line.available) {
      if (!force && now - lastDraw < MIN_REDRAW_MS) return;
      lastDraw = now;
      line.show(state.render(opts.name, line.width));
      return;
    }
    // Plain lines: one when the phase changes, else one every plainEveryMs at most.
    const phase = state.phaseKey();
    if (phase === lastPhase && now - lastPlain < plainEveryMs) return;
    lastPlain = now;
    lastPhase = phase;
    opts.logger?.info(state.facts(), `progress: ${state.render(opts.name, Infinity)}`);
  };
  const timer = line.available && (opts.refreshMs ?? 1000) > 0 ? setInterval(() => draw(true), opts.refreshMs ?? 1000) : undefined;
  timer?.unref();

  return {
    callbacks: {
      onTaken: (files, bytes) => {
        state.taken(files, bytes);
        draw(true);
      },
      onBytes: (n) => {
        state.bytes(n);
        draw(false);
      },
      onFile: (event) => {
        state.file(event);
        draw(event.phase === 'done' && line.available);
      },
      onPhase: (event) => {
        state.phase(event);
        draw(true);
      },
    },
    render: (width = line.width) => state.render(opts.name, width),
    stop: () => {
      if (timer) clearInterval(timer);
      line.clear();
    },
  };
}

/** What the run told so far, and the line it makes. */
class RunProgress {
  started = false;
  private filesTotal = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private filesFailed = 0;
  private sawFiles = false;
  private records = 0;
  private bytesRead = 0;
  private readonly inFlight = new Set<string>();
  private waiting: { batchId: string; status: string; since: number } | undefined;
  private readonly meter: RateMeter;

  constructor(private readonly clock: Clock) {
    this.meter = new RateMeter(clock);
  }

  taken(files: number, bytes: number): void {
    this.started = true;
    this.filesTotal = files;
    this.bytesTotal = bytes;
    this.meter.reset(0);
  }

  bytes(n: number): void {
    this.bytesRead += n;
    this.meter.add(this.bytesRead);
  }

  file(e: FileEvent): void {
    this.sawFiles = true;
    if (e.phase === 'start') {
      this.inFlight.add(e.path);
      return;
    }
    this.inFlight.delete(e.path);
    this.filesDone++;
    if (e.failed) this.filesFailed++;
    this.records += e.records;
  }

  phase(e: PhaseEvent): void {
    if (e.phase === 'waiting') {
      const since = this.waiting?.batchId === e.batchId ? this.waiting.since : this.clock.now().getTime();
      this.waiting = { batchId: e.batchId, status: e.status, since };
    } else {
      this.waiting = undefined;
    }
  }

  /** Changes of this key deserve a plain line of their own. */
  phaseKey(): string {
    return this.waiting ? `waiting ${this.waiting.batchId} ${this.waiting.status}` : 'uploading';
  }

  facts(): Record<string, unknown> {
    return {
      files: this.filesTotal,
      filesDone: this.sawFiles ? this.filesDone : undefined,
      records: this.sawFiles ? this.records : undefined,
      bytes: this.bytesRead,
      bytesTotal: this.bytesTotal,
      batchId: this.waiting?.batchId,
      platformStatus: this.waiting?.status,
    };
  }

  /** Parts by priority: essential ones always (the line cuts them), the others while they fit. */
  render(name: string | undefined, width: number): string {
    const must: string[] = [];
    const may: string[] = [];
    if (name) must.push(name);
    must.push(this.sawFiles ? `${this.filesDone}/${this.filesTotal} files${this.filesFailed ? ` (${this.filesFailed} failed)` : ''}` : `${this.filesTotal} files`);
    if (this.waiting) {
      const waited = this.clock.now().getTime() - this.waiting.since;
      must.push(`waiting for Platform (batch ${this.waiting.batchId}, ${this.waiting.status}) ${formatDuration(waited)}`);
      if (this.sawFiles) may.push(`${formatCount(this.records, { compact: true })} records`);
      may.push(formatBytes(this.bytesRead));
      return join(must, may, width);
    }
    const total = this.bytesTotal > 0 ? ` / ${formatBytes(this.bytesTotal)}` : '';
    const percent = this.bytesTotal > 0 ? ` ${Math.min(100, Math.floor((this.bytesRead / this.bytesTotal) * 100))}%` : '';
    must.push(`${formatBytes(this.bytesRead)}${total}${percent}`);
    if (this.sawFiles) may.push(`${formatCount(this.records, { compact: true })} records`);
    const rate = this.meter.perSecond();
    if (rate !== undefined) may.push(`${formatBytes(rate)}/s`);
    if (rate !== undefined && rate > 0 && this.bytesTotal > this.bytesRead) may.push(`ETA ${formatDuration(((this.bytesTotal - this.bytesRead) / rate) * 1000)}`);
    const current = [...this.inFlight].pop();
    if (current) may.push(current);
    return join(must, may, width);
  }
}

/** The essential parts, then the others in order until one does not fit. */
function join(must: readonly string[], may: readonly string[], width: number): string {
  let out = must.join('  ');
  for (const part of may) {
    const next = `${out}  ${part}`;
    if ([...next].length > width) break;
    out = next;
  }
  return out;
}
