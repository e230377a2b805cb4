import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readJsonRecords } from '../../src/emulator/record-source';

/*
 * The emulator's JSON Lines reader: the same lines as node:readline (LF, CRLF, lone CR, BOM,
 * blank lines skipped but counted), and a line too long to be a record fails its file instead
 * of being held in memory.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'record-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function viaReadline(file: string): Promise<{ text: string; line: number }[]> {
  const out: { text: string; line: number }[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  lines.on('line', (text) => {
    line++;
    const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (t.trim() !== '') out.push({ text: t, line });
  });
  await once(lines, 'close');
  return out;
}

async function records(file: string, max?: number): Promise<{ text: string; line: number }[]> {
  const out: { text: string; line: number }[] = [];
  for await (const r of readJsonRecords(file, 'lines', max)) out.push(r);
  return out;
}

test.each([
  ['LF', '{"a":1}\n{"a":2}\n'],
  ['CRLF, BOM, blank lines, no final break', '\uFEFF{"a":1}\r\n\r\n  \n{"a":2}\r\n{"a":3}'],
  ['lone CR', '{"a":1}\r{"a":2}\r\r{"a":3}\r'],
  // A CRLF across the 64 KiB read boundary, and a lone CR right at it.
  ['breaks on the read boundary', `{"p":"${'x'.repeat(65_536 - 9)}"}\r\n{"a":2}\n{"p":"${'y'.repeat(65_536 - 9 - 9)}"}\r{"a":3}\n`],
  ['empty file', ''],
])('%s: the same records and line numbers as readline', async (_name, content) => {
  const file = path.join(dir, 'f.json');
  await writeFile(file, content);
  const expected = await viaReadline(file);
  expect(await records(file)).toEqual(expected);
  expect(expected.length).toBeGreaterThanOrEqual(content === '' ? 0 : 2);
});

test('a line longer than the limit fails the file with its line number, without holding it', async () => {
  const file = path.join(dir, 'long.json');
  await writeFile(file, `{"a":1}\n${'x'.repeat(200_000)}\n{"a":3}\n`);
  await expect(records(file, 100_000)).rejects.toMatchObject({ name: 'JsonOutlineError', line: 2 });
  expect(await records(file)).toHaveLength(3);
});
