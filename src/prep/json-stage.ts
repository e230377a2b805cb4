import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { JsonDocumentSplitter } from './json-splitter';
import { MAX_RECORD_CHARS } from './prep-errors';
import type { RecordProcessor } from './record-processor';
import { LineBatcher } from './stream-parts';

/*
 * JSON in, JSON Lines out (DESIGN.md §3 format json). The layout is detected from the first
 * record: JSON Lines when it ends on its first line, else one document — a top-level array or
 * objects one after another (pretty-printed) — split into records. JSON Lines that need no
 * change pass through byte for byte, only counted (the fast path); everything else goes record
 * by record through the RecordProcessor.
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
  private readonly out: LineBatcher;
  private held: Buffer[] = [];
  private heldText = '';
  private readonly detector = new LayoutDetector();
  /** lines layout: the start of a line not yet ended; oversized when past MAX_RECORD_CHARS. */
  private partial = '';
  private oversized = false;
  private line = 0;
  private lineHasContent = false;
  private splitter?: JsonDocumentSplitter;

  constructor(
    private readonly processor: RecordProcessor,
    private readonly fileName: string,
  ) {
    super();
    this.out = new LineBatcher((chunk) => this.push(chunk));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (this.passThrough) return done(null, this.countLines(chunk));
      if (this.layout === undefined) {
        this.held.push(chunk);
        const text = this.decoder.write(chunk);
        this.heldText += text;
        const layout = this.detector.feed(text);
        if (layout === undefined) return done();
        this.start(layout);
        return done();
      }
      this.text(this.decoder.write(chunk));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.layout === undefined) {
        const text = this.decoder.end();
        this.heldText += text;
        this.start(this.detector.feed(text) ?? 'lines');
      } else if (!this.passThrough) {
        this.text(this.decoder.end());
      }
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

  private start(layout: JsonLayout): void {
    this.layout = layout;
    this.passThrough = layout === 'lines' && !this.processor.parsesJson;
    if (this.passThrough) {
      for (const b of this.held) this.push(this.countLines(b));
    } else {
      if (layout === 'document') {
        this.splitter = new JsonDocumentSplitter((text, line) => this.out.add(this.processor.jsonRecord(text, { rowNumber: this.processor.records + 1, lineNumber: line })), this.fileName);
      }
      this.text(this.heldText);
    }
    this.held = [];
    this.heldText = '';
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
      if (this.partial.length > MAX_RECORD_CHARS) {
        this.oversized = true;
        this.partial = '';
      }
    }
  }

  private endLine(raw: string): void {
    this.line++;
    if (this.oversized) {
      this.oversized = false;
      this.out.add(this.processor.unreadable({ rowNumber: this.processor.records + 1, lineNumber: this.line }, `the record is longer than ${MAX_RECORD_CHARS} characters`));
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

/**
 * 'lines' when the first value ends on its first line, 'document' when it starts with `[` or
 * runs past its first line; undefined until the text tells (or, at the end, 'lines'). Fed the
 * text as it comes, it carries on from where it stopped, so a long first line is scanned once.
 */
export class LayoutDetector {
  private text = '';
  private i = 0;
  private started = false;
  private depth = 0;
  private inString = false;

  feed(more: string): JsonLayout | undefined {
    this.text += more;
    const t = this.text;
    if (!this.started) {
      while (this.i < t.length && /[\s\uFEFF]/.test(t[this.i])) this.i++;
      if (this.i === t.length) return undefined;
      this.started = true;
      if (t[this.i] === '[') return 'document';
      if (t[this.i] !== '{') return 'lines';
    }
    for (; this.i < t.length; this.i++) {
      const c = t.charCodeAt(this.i);
      if (this.inString) {
        if (c === 0x5c) this.i++;
        else if (c === 0x22) this.inString = false;
        else if (c === 0x0a) return 'lines';
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) return 'lines';
      } else if (c === 0x0a) return 'document';
    }
    // A first line this long is not a pretty-printed document; stop holding it.
    return t.length > MAX_RECORD_CHARS ? 'lines' : undefined;
  }
}
