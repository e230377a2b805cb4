import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { RawRecord, splitJsonDocument } from './json-document-splitter';

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

export function readJsonRecords(file: string, layout: JsonLayout): AsyncGenerator<RawRecord> {
  return layout === 'lines' ? readJsonLines(file) : splitJsonDocument(createReadStream(file, { encoding: 'utf8' }));
}

async function* readJsonLines(file: string): AsyncGenerator<RawRecord> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const record = line === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (record.trim() !== '') yield { text: record, line };
    }
  } finally {
    lines.close();
    input.destroy();
  }
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
