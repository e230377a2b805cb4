import { recordTooLongReason } from './prep-errors';

/*
 * A streaming CSV tokenizer (RFC 4180 with a configurable delimiter, quote and escape; LF, CRLF
 * or CR line ends), fed decoded text in chunks of any size. It is here instead of csv-parse for
 * speed: on the bench's file csv-parse alone spent more CPU than Miller's whole conversion, this
 * spends about an eighth of it (bench/csv.ts); test/prep/csv-tokenizer.test.ts holds it to
 * csv-parse's answers.
 *
 * Each record comes with the line it starts on. A quote inside an unquoted field, or anything
 * but a delimiter or a line end after a closing quote, spoils that record only: it is reported
 * and skipped to the end of its line. A record longer than `maxRecordChars` is read to its end
 * without being held and reported as a bad record too. A quoted field still open at the end of
 * the text leaves no way to know where the rows are: fatal.
 */

/** format.maxRecordSize's default (64MiB). */
export const DEFAULT_MAX_RECORD_CHARS = 64 * 1024 * 1024;

export interface CsvSyntax {
  delimiter: string;
  quote: string;
  escape: string;
}

export interface CsvTokenHandler {
  record(fields: string[], line: number): void;
  /** A record that cannot be read; tokenizing goes on at the next line. */
  badRecord(message: string, line: number): void;
}

export class CsvFatalError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvFatalError';
  }
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote seen at the end of a chunk (quote = escape): doubled or closing? */
  QuoteAtEnd,
  /** The escape character seen at the end of a chunk (escape ≠ quote). */
  EscapeAtEnd,
  AfterQuoted,
  AfterCr,
  Skip,
}

const LF = 0x0a;
const CR = 0x0d;

export class CsvTokenizer {
  private readonly d: number;
  private readonly q: number;
  private readonly e: number;
  private readonly quoteChar: string;
  private readonly escapeChar: string;
  private state = State.FieldStart;
  private fields: string[] = [];
  private pending = '';
  private inRecord = false;
  private recordLine = 1;
  private line = 1;
  private skipReason = '';
  private started = false;
  /** Characters of the record so far (fields and pending); past the limit, nothing more is kept. */
  private recordChars = 0;
  private oversized = false;
  private readonly maxRecordChars: number;

  /**
   * `firstLine`: the line the text starts on, for a piece cut from a file at a record's end
   * (csv-blocks.ts). `atFileStart`: a byte order mark in front is dropped (not for such pieces).
   */
  constructor(
    syntax: CsvSyntax,
    private readonly on: CsvTokenHandler,
    opts: { firstLine?: number; atFileStart?: boolean; maxRecordChars?: number } = {},
  ) {
    this.maxRecordChars = opts.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    this.line = opts.firstLine ?? 1;
    this.recordLine = this.line;
    this.started = opts.atFileStart === false;
    this.d = syntax.delimiter.charCodeAt(0);
    this.q = syntax.quote.charCodeAt(0);
    this.e = syntax.escape.charCodeAt(0);
    this.quoteChar = syntax.quote[0];
    this.escapeChar = syntax.escape[0];
  }

  write(text: string): void {
    let s = text;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const n = s.length;
    const { d, q, e } = this;
    let i = 0;
    let valueStart = 0;
    while (i < n) {
      switch (this.state) {
        case State.FieldStart: {
          if (!this.inRecord) {
            this.inRecord = true;
            this.recordLine = this.line;
          }
          if (s.charCodeAt(i) === q) {
            this.state = State.Quoted;
            i++;
            valueStart = i;
            continue;
          }
          this.state = State.Unquoted;
          valueStart = i;
          continue;
        }
        case State.Unquoted: {
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = s.charCodeAt(j);
            if (c === d || c === LF || c === CR || c === q) break;
          }
          if (j === n) {
            this.hold(s.slice(valueStart, n));
            i = n;
            break;
          }
          if (c === q) {
            this.skip('a quote inside an unquoted field (quote the whole field, and double the quote)');
            i = j + 1;
            continue;
          }
          this.keep(this.pending === '' ? s.slice(valueStart, j) : this.pending + s.slice(valueStart, j));
          this.pending = '';
          i = this.afterField(c, j);
          continue;
        }
        case State.Quoted: {
          let k = s.indexOf(this.quoteChar, i);
          if (e !== q) {
            const esc = s.indexOf(this.escapeChar, i);
            if (esc !== -1 && (k === -1 || esc < k)) k = esc;
          }
          this.countLines(s, i, k === -1 ? n : k);
          if (k === -1) {
            this.hold(s.slice(valueStart, n));
            i = n;
            break;
          }
          const c = s.charCodeAt(k);
          if (c === e && e !== q) {
            if (k + 1 === n) {
              this.hold(s.slice(valueStart, k));
              this.state = State.EscapeAtEnd;
              i = n;
              break;
            }
            const next = s.charCodeAt(k + 1);
            if (next === q || next === e) {
              this.hold(s.slice(valueStart, k) + s[k + 1]);
              i = k + 2;
              valueStart = i;
            } else {
              i = k + 1;
            }
            continue;
          }
          if (e === q) {
            if (k + 1 === n) {
              this.hold(s.slice(valueStart, k));
              this.state = State.QuoteAtEnd;
              i = n;
              break;
            }
            if (s.charCodeAt(k + 1) === q) {
              this.hold(s.slice(valueStart, k + 1));
              i = k + 2;
              valueStart = i;
              continue;
            }
          }
          this.keep(this.pending + s.slice(valueStart, k));
          this.pending = '';
          this.state = State.AfterQuoted;
          i = k + 1;
          continue;
        }
        case State.QuoteAtEnd: {
          if (s.charCodeAt(i) === q) {
            this.pending += s[i];
            this.state = State.Quoted;
            i++;
            valueStart = i;
            continue;
          }
          this.keep(this.pending);
          this.pending = '';
          this.state = State.AfterQuoted;
          continue;
        }
        case State.EscapeAtEnd: {
          const c = s.charCodeAt(i);
          if (c === q || c === e) {
            this.pending += s[i];
            i++;
          } else {
            this.pending += this.escapeChar;
          }
          this.state = State.Quoted;
          valueStart = i;
          continue;
        }
        case State.AfterQuoted: {
          const c = s.charCodeAt(i);
          if (c === d || c === LF || c === CR) {
            i = this.afterField(c, i);
            continue;
          }
          this.skip('characters after a closing quote (a quote inside a quoted field must be doubled)');
          continue;
        }
        case State.AfterCr: {
          this.state = State.FieldStart;
          if (s.charCodeAt(i) === LF) i++;
          this.line++;
          continue;
        }
        case State.Skip: {
          const nl = s.indexOf('\n', i);
          if (nl === -1) {
            i = n;
            break;
          }
          this.line++;
          i = nl + 1;
          this.endSkip();
          continue;
        }
      }
    }
  }

  end(): void {
    switch (this.state) {
      case State.Quoted:
      case State.EscapeAtEnd:
        throw new CsvFatalError('a quoted field is still open at the end of the file', this.recordLine);
      case State.Unquoted:
        this.keep(this.pending);
        this.pending = '';
        this.emit();
        break;
      case State.QuoteAtEnd:
        this.keep(this.pending);
        this.pending = '';
        this.emit();
        break;
      case State.AfterQuoted:
        this.emit();
        break;
      case State.FieldStart:
        if (this.inRecord) {
          this.keep('');
          this.emit();
        }
        break;
      case State.Skip:
        this.endSkip();
        break;
      case State.AfterCr:
        break;
    }
  }

  /** After a field ended at `at` by delimiter, LF or CR: where to read on. */
  private afterField(c: number, at: number): number {
    if (c === this.d) {
      this.state = State.FieldStart;
      return at + 1;
    }
    this.emit();
    if (c === LF) {
      this.line++;
      this.state = State.FieldStart;
    } else {
      this.state = State.AfterCr;
    }
    return at + 1;
  }

  private emit(): void {
    const fields = this.fields;
    const oversized = this.oversized;
    this.fields = [];
    this.inRecord = false;
    this.recordChars = 0;
    this.oversized = false;
    this.pending = '';
    if (oversized) this.on.badRecord(recordTooLongReason(this.maxRecordChars), this.recordLine);
    else this.on.record(fields, this.recordLine);
  }

  private keep(field: string): void {
    if (this.oversized) return;
    this.recordChars += field.length;
    this.fields.push(field);
    if (this.recordChars > this.maxRecordChars) this.overflow();
  }

  private hold(part: string): void {
    if (this.oversized) return;
    this.pending += part;
    if (this.recordChars + this.pending.length > this.maxRecordChars) this.overflow();
  }

  /** The record is too long to hold: its text goes, its end is still looked for. */
  private overflow(): void {
    this.oversized = true;
    this.fields = [];
    this.pending = '';
  }

  private skip(reason: string): void {
    this.state = State.Skip;
    this.skipReason = reason;
    this.pending = '';
  }

  private endSkip(): void {
    this.fields = [];
    this.inRecord = false;
    this.recordChars = 0;
    this.oversized = false;
    this.state = State.FieldStart;
    this.on.badRecord(this.skipReason, this.recordLine);
  }

  private countLines(s: string, from: number, to: number): void {
    for (let nl = s.indexOf('\n', from); nl !== -1 && nl < to; nl = s.indexOf('\n', nl + 1)) this.line++;
  }
}
