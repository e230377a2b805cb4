import type { CsvOptions } from './prep-plan';
import { nodeEncoding } from './csv-stage';

/*
 * Where a CSV file can be cut into pieces that convert on their own (parallel-csv-stage.ts): at
 * the end of a record, where the tokenizer (csv-tokenizer.ts) is back at the start of a field
 * outside any quotes. The scanner walks the raw bytes through the tokenizer's own states —
 * quotes open only at a field's start, a doubled quote stays inside, a stray quote spoils the
 * rest of its line, CR, LF and CRLF end a line — without building any field, and counts lines
 * the way the tokenizer does, so each piece knows the line it starts on.
 */

const LF = 0x0a;
const CR = 0x0d;

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: doubled, or the field's end? */
  QuoteInQuoted,
  /** A CR ended the line; an LF right after belongs to it. */
  AfterCr,
  /** The rest of a spoiled line, up to its LF. */
  Skip,
}

/** Whether a file with these options can be cut by bytes: one-byte ASCII syntax, an encoding that never hides a line end inside a character. */
export function cuttable(csv: CsvOptions): boolean {
  const ascii = (s: string) => s.length === 1 && s.charCodeAt(0) < 0x80;
  return csv.header && ascii(csv.delimiter) && ascii(csv.quote) && csv.escape === csv.quote && nodeEncoding(csv.encoding) !== undefined;
}

export class CsvRecordScanner {
  private state = S.FieldStart;
  private readonly d: number;
  private readonly q: number;
  /** Line ends counted so far (the tokenizer's line number minus one). */
  lines = 0;

  constructor(csv: CsvOptions) {
    this.d = csv.delimiter.charCodeAt(0);
    this.q = csv.quote.charCodeAt(0);
  }

  /** Inside a quoted field: at the end of the file, a quote left open. */
  get inQuotes(): boolean {
    return this.state === S.Quoted;
  }

  /**
   * Scans buf[from, to) and returns the offset just past the last record end in it (or -1),
   * with the line count there. A CR at the very end is not taken as a record end yet: an LF may
   * follow in the next bytes. With `first`, it stops at the first record end instead, and
   * `scanned` says where the scan stopped (the byte after a lone CR, which starts the next
   * record, is already scanned).
   */
  scan(buf: Uint8Array, from: number, to: number, first = false): { end: number; lines: number; scanned: number } {
    const { d, q } = this;
    let state = this.state;
    let lines = this.lines;
    let end = -1;
    let linesAtEnd = lines;
    let i = from;
    for (; i < to && !(first && end >= 0); i++) {
      const c = buf[i];
      switch (state) {
        case S.AfterCr:
          lines++;
          state = S.FieldStart;
          end = c === LF ? i + 1 : i;
          linesAtEnd = lines;
          // Unless it is the CR's own LF, c starts the next record.
          if (c !== LF) state = this.fieldStart(c);
          break;
        case S.FieldStart:
          state = this.fieldStart(c);
          if (state === S.FieldStart && c === LF) {
            lines++;
            end = i + 1;
            linesAtEnd = lines;
          }
          break;
        case S.Unquoted:
          if (c === d) state = S.FieldStart;
          else if (c === LF) {
            lines++;
            state = S.FieldStart;
            end = i + 1;
            linesAtEnd = lines;
          } else if (c === CR) state = S.AfterCr;
          else if (c === q) state = S.Skip;
          break;
        case S.Quoted:
          if (c === q) state = S.QuoteInQuoted;
          else if (c === LF) lines++;
          break;
        case S.QuoteInQuoted:
          if (c === q) state = S.Quoted;
          else if (c === d) state = S.FieldStart;
          else if (c === LF) {
            lines++;
            state = S.FieldStart;
            end = i + 1;
            linesAtEnd = lines;
          } else if (c === CR) state = S.AfterCr;
          else state = S.Skip;
          break;
        case S.Skip:
          if (c === LF) {
            lines++;
            state = S.FieldStart;
            end = i + 1;
            linesAtEnd = lines;
          }
          break;
      }
    }
    this.state = state;
    this.lines = lines;
    return { end, lines: linesAtEnd, scanned: i };
  }

  /** The state after byte c at a field's start (an LF there ends an empty record: still FieldStart). */
  private fieldStart(c: number): S {
    if (c === this.q) return S.Quoted;
    if (c === CR) return S.AfterCr;
    if (c === LF || c === this.d) return S.FieldStart;
    return S.Unquoted;
  }
}
