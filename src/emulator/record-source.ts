import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { JsonOutlineError, RawRecord, splitJsonDocument } from './json-document-splitter';

export type { RawRecord } from './json-document-splitter';

export type JsonLayout = 'lines' | 'document';

/*
 * The records of an uploaded JSON file, read as a stream. JSON Lines (Platform's default) is one
 * record per non-blank line; a file that opens with '[' (or any file of a batch created with
 * isMultiLineJson) is one document split by splitJsonDocument. A JSON Lines file holding a
 * pretty-printed object therefore shows up as broken lines, as it would on Platform.
 */
export async function jsonLayout(file: string, isMultiLineJson: boolean): Promise<JsonLayout> {
  if (isMultiLineJson) return 'document';
  return (await firstSignificantChar(file)) === '[' ? 'document' : 'lines';
}

/**
 * Platform takes records of at most 1 MB (aep-api.md guardrails). A line far past that fails its
 * file instead of being held: a string cannot grow past ~512 MB in V8, and a 1 GB line used to
 * take the whole emulator down.
 */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

export function readJsonRecords(file: string, layout: JsonLayout, maxLineChars = MAX_LINE_CHARS): AsyncGenerator<RawRecord> {
  return layout === 'lines' ? readJsonLines(file, maxLineChars) : splitJsonDocument(createReadStream(file, { encoding: 'utf8' }));
}

/** Lines end at LF, CRLF or a lone CR, as for readline. */
async function* readJsonLines(file: string, maxLineChars: number): AsyncGenerator<RawRecord> {
  const input = createReadStream(file, { encoding: 'utf8' });
  let partial = '';
  let line = 0;
  let afterCr = false;
  const record = (text: string): RawRecord | undefined => {
    line++;
    const r = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    return r.trim() === '' ? undefined : { text: r, line };
  };
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      let start = afterCr && chunk.startsWith('\n') ? 1 : 0;
      afterCr = false;
      for (let end = nextBreak(chunk, start); end !== -1; end = nextBreak(chunk, start)) {
        const r = record(partial + chunk.slice(start, end));
        partial = '';
        if (r) yield r;
        if (chunk[end] === '\r') {
          if (end + 1 === chunk.length) afterCr = true;
          else if (chunk[end + 1] === '\n') end++;
        }
        start = end + 1;
      }
      partial += chunk.slice(start);
      if (partial.length > maxLineChars) throw new JsonOutlineError(`a line longer than ${maxLineChars} characters cannot hold a record`, line + 1);
    }
    const last = partial === '' ? undefined : record(partial);
    if (last) yield last;
  } finally {
    input.destroy();
  }
}

function nextBreak(s: string, from: number): number {
  const lf = s.indexOf('\n', from);
  const cr = s.indexOf('\r', from);
  return cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
}

/** The first character that is not whitespace (nor a byte-order mark), looking at most 64 KiB in. */
async function firstSignificantChar(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const match = /[^\s\uFEFF]/.exec(buf.subarray(0, bytesRead).toString('utf8'));
    return match?.[0];
  } finally {
    await handle.close();
  }
}
