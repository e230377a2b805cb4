import { jsonOutlineError } from './prep-errors';

/*
 * Splits one JSON document into its records as text arrives, holding at most one record: either
 * a top-level array (`[{…}, {…}]`) or top-level values one after another (pretty-printed
 * objects). It tracks only nesting depth and strings, which is all it takes to find where each
 * element ends; each record is parsed later, so a broken record is one bad row while a broken
 * outline (an unclosed array) fails the file. A record longer than the limit is not held: its
 * end is still tracked, and it comes out as `oversized`, one bad row.
 *
 * The emulator has its own splitter (emulator/json-document-splitter.ts), on purpose: it stands
 * for Platform reading what the client sends, and one splitter shared by both would let a bug
 * pass the end-to-end tests on both sides at once.
 */

export interface SplitterHandlers {
  record(text: string, line: number): void;
  /** A record longer than the limit ended; its text was not kept. */
  oversized(line: number): void;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09 || c === 0xfeff;
}

export class JsonDocumentSplitter {
  private line = 1;
  private started = false;
  private arrayMode = false;
  private arrayClosed = false;
  private afterComma = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inElement = false;
  private elementLine = 0;
  private parts: string[] = [];
  private partsLength = 0;
  private oversized = false;

  constructor(
    private readonly fileName: string,
    private readonly maxRecordChars: number,
    private readonly on: SplitterHandlers,
  ) {}

  write(chunk: string): void {
    let segmentStart = this.inElement ? 0 : -1;
    const emit = (end: number) => {
      const oversized = this.oversized || this.partsLength + end - segmentStart > this.maxRecordChars;
      let text = '';
      if (!oversized) {
        this.parts.push(chunk.slice(segmentStart, end));
        text = this.parts.join('').trim();
      }
      this.parts = [];
      this.partsLength = 0;
      this.oversized = false;
      this.inElement = false;
      segmentStart = -1;
      if (oversized) this.on.oversized(this.elementLine);
      else this.on.record(text, this.elementLine);
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth > 0) {
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          this.depth--;
          if (this.depth === 0 && !this.arrayMode) emit(i + 1);
        }
        continue;
      }
      if (!this.started) {
        if (isSpace(c)) continue;
        this.started = true;
        if (c === OPEN_BRACKET) {
          this.arrayMode = true;
          continue;
        }
      }
      if (this.arrayClosed) {
        if (!isSpace(c)) throw this.outline('unexpected content after the closing ]');
        continue;
      }
      if (this.arrayMode && (c === COMMA || c === CLOSE_BRACKET)) {
        if (this.inElement) emit(i);
        else if (c === COMMA || this.afterComma) throw this.outline('missing array element');
        this.afterComma = c === COMMA;
        if (c === CLOSE_BRACKET) this.arrayClosed = true;
        continue;
      }
      if (!this.inElement) {
        if (isSpace(c)) continue;
        if (!this.arrayMode && c !== OPEN_BRACE && c !== OPEN_BRACKET) throw this.outline('expected an object');
        this.inElement = true;
        this.elementLine = this.line;
        segmentStart = i;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) throw this.outline('unbalanced closing bracket');
    }
    if (this.inElement && !this.oversized) {
      const rest = chunk.slice(segmentStart);
      this.parts.push(rest);
      this.partsLength += rest.length;
      if (this.partsLength > this.maxRecordChars) {
        this.oversized = true;
        this.parts = [];
      }
    }
  }

  end(): void {
    if (this.inString || this.depth > 0) throw this.outline('the file ends inside a value');
    if (this.arrayMode && !this.arrayClosed) throw this.outline('the file ends before the array is closed');
    if (this.inElement) {
      const text = this.parts.join('').trim();
      this.parts = [];
      this.inElement = false;
      if (this.oversized) this.on.oversized(this.elementLine);
      else if (text !== '') this.on.record(text, this.elementLine);
      this.oversized = false;
    }
  }

  private outline(message: string): Error {
    return jsonOutlineError(this.fileName, message, this.line);
  }
}
