import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InputFormat } from '../../src/emulator/batch-model';
import { newTally } from '../../src/emulator/batch-outcome';
import { ingestFile, type FileIngestContext } from '../../src/emulator/file-ingest';
import type { RecordCheck } from '../../src/emulator/record-validator';

/** Records need `ok: true`. */
const check: RecordCheck = (record) => ((record as { ok?: unknown }).ok === true ? undefined : { kind: 'schema', message: 'ok must be true', path: '/ok' });

describe('emulator: one file through processing, and the copy without its bad rows', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dataflowd-file-ingest-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function ingest(content: string, inputFormat: InputFormat = { format: 'json' }): Promise<{ result: Awaited<ReturnType<typeof ingestFile>>; ctx: FileIngestContext }> {
    const uploadedPath = path.join(dir, 'files', 'f.json');
    await mkdir(path.dirname(uploadedPath), { recursive: true });
    await writeFile(uploadedPath, content);
    const ctx: FileIngestContext = {
      file: { path: 'f.json', sizeInBytes: Buffer.byteLength(content), created: 0, updated: 0, state: 'complete' },
      inputFormat,
      uploadedPath,
      landedPath: path.join(dir, 'landed', 'f.json'),
      check,
      tally: newTally(),
      dropsBadRows: true,
      signal: new AbortController().signal,
      maxFields: 10_000,
    };
    return { result: await ingestFile(ctx), ctx };
  }

  test('a file without bad rows leaves no landed copy, not even one from an earlier attempt', async () => {
    await mkdir(path.join(dir, 'landed'), { recursive: true });
    await writeFile(path.join(dir, 'landed', 'f.json'), 'stale\n');
    const { result, ctx } = await ingest('{"ok":true}\n{"ok":true}\n');
    expect(result).toEqual({ records: 2, failed: 0, filtered: false });
    expect(existsSync(ctx.landedPath)).toBe(false);
  });

  test('JSON Lines with bad rows: the landed copy holds the good ones, in order', async () => {
    const { result, ctx } = await ingest('{"ok":true,"n":1}\n{"ok":false,"n":2}\n{not json\n{"ok":true,"n":4}\n');
    expect(result).toEqual({ records: 4, failed: 2, filtered: true });
    expect(await readFile(ctx.landedPath, 'utf8')).toBe('{"ok":true,"n":1}\n{"ok":true,"n":4}\n');
    expect(ctx.tally.inputRecordCount).toBe(4);
  });

  test('an array whose outline breaks after a bad row: the copy is still a whole JSON array of the good records before it', async () => {
    const { result, ctx } = await ingest('[{"ok":true,"n":1},{"ok":false,"n":2},{"ok":true,"n":3},{"ok":tr', { format: 'json', isMultiLineJson: true });
    expect(result).toMatchObject({ failed: 1, filtered: true });
    expect(ctx.tally.fileErrors).toHaveLength(1);
    expect(JSON.parse(await readFile(ctx.landedPath, 'utf8'))).toEqual([
      { ok: true, n: 1 },
      { ok: true, n: 3 },
    ]);
  });
});
