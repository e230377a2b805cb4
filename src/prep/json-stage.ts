import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { JsonDocumentSplitter } from './json-splitter';
import type { ParallelOptions } from './ordered-workers';
import { ParallelJsonLines } from './parallel-json-lines';
import { recordTooLongReason } from './prep-errors';
import type { PrepPlan } from './prep-plan';
import type { RecordProcessor } from './record-processor';
import { LineBatcher } from './stream-parts';

/*
 * JSON in, JSON Lines out (DESIGN.md §3 format json). The layout is detected from the first
 * record: JSON Lines when it ends its first line, else one document — a top-level array or
 * objects one after another (pretty-printed, or on one line) — split into records. JSON Lines
 * that need no change pass through byte for byte, only counted (the fast path); everything
 * else goes record by record through the RecordProcessor, on worker threads for JSON Lines given
 * `workers` (parallel-json-lines.ts), on this thread otherwise. A record longer than
 * format.maxRecordSize is a rejected row, read past without being held (passed-through lines
 * are not held at all, and are Platform's to judge).
 */

export type JsonLayout = 'lines' | 'document';

const NEWLINE = 0x0a;

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export class JsonStage extends Transform {
  layout?: JsonLayout;
  /** True while bytes pass unchanged (JSON Lines, nothing to do). */
  passThrough = false;
  private readonly decoder = new StringDecoder('utf8');
  /** Until the layout is known: the bytes so far (at most about DETECT_CHARS) and their own decoder. */
  private held: Buffer[] = [];
  private readonly detectDecoder = new StringDecoder('utf8');
  private readonly detector = new LayoutDetector();
  private readonly out: LineBatcher;
  /** lines layout: the start of a line not yet ended; dropped once past the record limit. */
  private partial = '';
  private oversized = false;
  private line = 0;
  private lineHasContent = false;
  private splitter?: JsonDocumentSplitter;
  /** JSON Lines to check, on worker threads. */
  private parallel?: ParallelJsonLines;

  constructor(
    private readonly processor: RecordProcessor,
    private readonly fileName: string,
    private readonly maxRecordChars: number,
    /** When JSON Lines that need parsing may go to worker threads. */
    private readonly workers?: { opts: ParallelOptions; source: NonNullable<PrepPlan['source']> },
  ) {
    super();
    this.out = new LineBatcher((chunk) => this.push(chunk));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.passThrough) return done(null, this.countLines(chunk));
      if (this.parallel) {
        this.parallel.add(chunk);
        return this.whenRoom(done);
      }
      if (this.layout === undefined) {
        this.held.push(chunk);
        const layout = this.detector.feed(this.detectDecoder.write(chunk));
        if (layout !== undefined) this.start(layout);
        return this.whenRoom(done);
      }
      this.text(this.decoder.write(chunk));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.layout === undefined) this.start(this.detector.feed(this.detectDecoder.end()) ?? this.detector.end());
      if (this.parallel) return this.parallel.end(() => done());
      if (!this.passThrough) this.text(this.decoder.end());
      if (this.passThrough) {
        if (this.lineHasContent) this.processor.records++;
      } else if (this.layout === 'lines') {
        this.endLine(this.partial);
      } else {
        this.splitter?.end();
      }
      this.out.flush();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.parallel?.stop();
    done(err);
  }

  /** Lets the writer go on: at once, or once the worker threads have room for more. */
  private whenRoom(done: TransformCallback): void {
    if (this.parallel) this.parallel.whenRoom(done);
    else done();
  }

  /** The worker threads that checked the file (none: this thread did). */
  get workerCount(): number | undefined {
    return this.parallel?.workers;
  }

  private start(layout: JsonLayout): void {
    this.layout = layout;
    this.passThrough = layout === 'lines' && !this.processor.parsesJson;
    const held = this.held;
    this.held = [];
    if (this.passThrough) {
      for (const b of held) this.push(this.countLines(b));
      return;
    }
    if (layout === 'lines' && this.workers) {
      const { opts, source } = this.workers;
      this.parallel = new ParallelJsonLines(this.processor, source, this.fileName, opts, this.maxRecordChars, (chunk) => this.push(chunk), (err) => this.destroy(err));
      for (const b of held) this.parallel.add(b);
      return;
    }
    if (layout === 'document') {
      this.splitter = new JsonDocumentSplitter(this.fileName, this.maxRecordChars, {
        record: (text, line) => this.out.add(this.processor.jsonRecord(text, { rowNumber: this.processor.records + 1, lineNumber: line })),
        oversized: (line) => this.out.add(this.processor.unreadable({ rowNumber: this.processor.records + 1, lineNumber: line }, recordTooLongReason(this.maxRecordChars))),
      });
    }
    for (const b of held) this.text(this.decoder.write(b));
  }

  private text(s: string): void {
    if (s === '') return;
    if (this.layout === 'document') {
      this.splitter?.write(s);
      return;
    }
    let start = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', start)) {
      this.endLine(this.partial === '' ? s.slice(start, nl) : this.partial + s.slice(start, nl));
      this.partial = '';
      start = nl + 1;
    }
    if (start < s.length) {
      if (this.oversized) return;
      this.partial += s.slice(start);
      if (this.partial.length > this.maxRecordChars) {
        this.oversized = true;
        this.partial = '';
      }
    }
  }

  private endLine(raw: string): void {
    this.line++;
    if (this.oversized || raw.length > this.maxRecordChars) {
      this.oversized = false;
      this.out.add(this.processor.unreadable({ rowNumber: this.processor.records + 1, lineNumber: this.line }, recordTooLongReason(this.maxRecordChars)));
      return;
    }
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return;
    this.out.add(this.processor.jsonRecord(text, { rowNumber: this.processor.records + 1, lineNumber: this.line }));
  }

  /** The fast path: JSON Lines records are non-blank lines; bytes are not decoded. */
  private countLines(chunk: Buffer): Buffer {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.lineHasContent || !isBlank(chunk, start, nl)) this.processor.records++;
      this.lineHasContent = false;
      start = nl + 1;
    }
    if (start < chunk.length && !isBlank(chunk, start, chunk.length)) this.lineHasContent = true;
    return chunk;
  }
}

/** How much of a file's start the layout is decided from: the text is never held longer than this. */
export const DETECT_CHARS = 1024 * 1024;

const enum Detect {
  /** Before the first value. */
  Start,
  /** Inside the first object. */
  Value,
  /** After the first object, on its line. */
  After,
}

/**
 * 'document' when the text starts with `[`, when the first object runs past its first line
 * (pretty-printed), or when another object follows it on that line (`{…}{…}`: values one after
 * another); 'lines' when the first object ends its line, or the text starts with anything else.
 * Fed the text as it comes, holding none of it; undecided after DETECT_CHARS, it says 'lines':
 * a first line that long is no pretty-printed document.
 */
export class LayoutDetector {
  private state = Detect.Start;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private seen = 0;

  feed(text: string): JsonLayout | undefined {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.state === Detect.Start) {
        if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0xfeff) continue;
        if (c === 0x5b) return 'document';
        if (c !== 0x7b) return 'lines';
        this.state = Detect.Value;
        this.depth = 1;
        continue;
      }
      if (this.state === Detect.After) {
        if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
        return c === 0x7b || c === 0x5b ? 'document' : 'lines';
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        else if (c === 0x0a) return 'lines';
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--this.depth === 0) this.state = Detect.After;
      } else if (c === 0x0a) return 'document';
    }
    this.seen += text.length;
    return this.seen > DETECT_CHARS ? 'lines' : undefined;
  }

  /** The layout of a text that ended before it told. */
  end(): JsonLayout {
    return 'lines';
  }
}
