import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { CsvFatalError, CsvTokenizer } from './csv-tokenizer';
import type { CsvOptions } from './prep-plan';
import { csvHeaderError, csvSyntaxError } from './prep-errors';
import type { RecordProcessor } from './record-processor';
import { LineBatcher } from './stream-parts';

/*
 * CSV bytes in, XDM JSON Lines out. The bytes are decoded (UTF-8, latin1 = ISO-8859-1, or any
 * other encoding TextDecoder knows), tokenized, the header names the columns the mapping
 * refers to, blank lines are skipped, and each data row goes through the RecordProcessor.
 */

const NODE_ENCODINGS: Record<string, 'utf8' | 'latin1'> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  latin1: 'latin1',
  'iso-8859-1': 'latin1',
  iso88591: 'latin1',
  'iso8859-1': 'latin1',
  l1: 'latin1',
};

/** The encoding Node decodes itself, or undefined when TextDecoder must. */
export function nodeEncoding(encoding: string): 'utf8' | 'latin1' | undefined {
  return NODE_ENCODINGS[encoding.toLowerCase()];
}

export interface Decoder {
  write(chunk: Buffer): string;
  end(): string;
}

export function decoderFor(encoding: string): Decoder {
  const node = nodeEncoding(encoding);
  if (node) return new StringDecoder(node);
  const text = new TextDecoder(encoding);
  return { write: (chunk) => text.decode(chunk, { stream: true }), end: () => text.decode() };
}

/** A blank line (or a lone empty quoted field): no row, and before a header, a broken header. */
export function isBlankRecord(fields: readonly string[]): boolean {
  return fields.length === 1 && fields[0] === '';
}

export class CsvStage extends Transform {
  private readonly out: LineBatcher;
  private readonly decoder: Decoder;
  private readonly tokenizer: CsvTokenizer;
  private dataRows = 0;
  private headerSeen = false;
  private blankBeforeHeader = false;

  constructor(
    private readonly processor: RecordProcessor,
    private readonly opts: CsvOptions,
    private readonly fileName: string,
    maxRecordChars: number,
  ) {
    super();
    this.out = new LineBatcher((chunk) => this.push(chunk));
    this.decoder = decoderFor(opts.encoding);
    this.tokenizer = new CsvTokenizer(
      opts,
      {
        record: (fields, line) => this.record(fields, line),
        badRecord: (message, line) => this.badRecord(message, line),
      },
      { maxRecordChars },
    );
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.tokenizer.write(this.decoder.write(chunk));
      done();
    } catch (err) {
      done(this.fileError(err));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.tokenizer.write(this.decoder.end());
      this.tokenizer.end();
      this.out.flush();
      done();
    } catch (err) {
      done(this.fileError(err));
    }
  }

  private record(fields: string[], line: number): void {
    if (isBlankRecord(fields)) {
      this.blankBeforeHeader ||= !this.headerSeen;
      return;
    }
    if (!this.headerSeen) {
      this.headerSeen = true;
      if (this.opts.header) {
        // Platform's error 118; a file of blank lines only is merely empty.
        if (this.blankBeforeHeader) throw csvHeaderError(this.fileName);
        this.processor.setHeader(fields.map((name) => name.trim()));
        return;
      }
      this.processor.setHeader(fields.map((_, i) => `_c${i}`));
    }
    this.dataRows++;
    this.out.add(this.processor.csvRow(fields, { rowNumber: this.dataRows, lineNumber: line }));
  }

  private badRecord(message: string, line: number): void {
    if (!this.headerSeen && this.opts.header) throw csvSyntaxError(this.fileName, `the header: ${message}`, line);
    this.dataRows++;
    this.out.add(this.processor.unreadable({ rowNumber: this.dataRows, lineNumber: line }, message));
  }

  private fileError(err: unknown): Error {
    if (err instanceof CsvFatalError) return csvSyntaxError(this.fileName, err.message, err.line);
    return err as Error;
  }
}
