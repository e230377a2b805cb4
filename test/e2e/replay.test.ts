import { utimes } from 'node:fs/promises';
import path from 'node:path';
import type { PlatformClient } from '../../src/platform';
import { allBatches, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * changedFiles: replace (issue 18), through the real CLI and the emulator: a changed file's new
 * version goes in a batch that replays the old version's batch, and Data Access then serves only
 * the new version's records. A batch still holding files that are not replaced with it is not
 * replayed (their records would go): the change is appended, and the run says why. `append`
 * keeps both versions, as `reingest` did.
 */

/** What Data Access serves for every batch Catalog has of the dataset, whatever its status. */
async function served(platform: PlatformClient): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const batch of await allBatches(platform, 'people')) {
    for (const file of await platform.batchFiles(batch.id)) {
      for (const entry of await platform.dataSetFileEntries(file.dataSetFileId)) {
        let text = '';
        for await (const chunk of await platform.downloadFile(file.dataSetFileId, entry.name)) text += (chunk as Buffer).toString();
        records.push(...text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown));
      }
    }
  }
  return records;
}

describe('changed files, through the real CLI', () => {
  let ws: Workspace;
  let hour = 10;
  /** Writes a file with a modified time an hour later than the last one written, so each write is a new version. */
  async function write(file: string, records: unknown[]): Promise<void> {
    await ws.put(file, jsonl(records));
    const at = new Date(Date.now() - hour-- * 3_600_000);
    await utimes(path.join(ws.inbox, file), at, at);
  }
  const run = async (name: string) => {
    const out = await ws.cli(['run', name, '--json']);
    return { code: out.code, run: JSON.parse(out.stdout) as { status: string; filesTaken: number; batchIds: string[] }, stderr: out.stderr };
  };

  beforeAll(async () => {
    ws = await Workspace.create();
  });
  afterAll(() => ws?.close());

  test('replace (the default): the new version replays the old version’s batch; Data Access shows only the new records', async () => {
    await ws.writeDataflow('rp', ['source:', '  connection: inbox', '  path: rp', 'target:', '  dataset: people', 'ingestion:', '  maxFilesPerBatch: 1'].join('\n'));
    await write('rp/a.json', people(0, 3));
    await write('rp/b.json', people(10, 3));
    const first = await run('rp');
    expect(first.run).toMatchObject({ status: 'succeeded', filesTaken: 2 });
    const oldBatchOfA = first.run.batchIds[0];

    await write('rp/a.json', people(100, 4));
    const second = await run('rp');
    expect(second.run).toMatchObject({ status: 'succeeded', filesTaken: 1 });
    const [newBatch] = second.run.batchIds;
    const catalog = await allBatches(ws.platform, 'people');
    expect(catalog.find((b) => b.id === newBatch)?.replaces).toEqual([oldBatchOfA]);
    expect(catalog.find((b) => b.id === oldBatchOfA)?.status).toBe('inactive');
    expect(tally([...people(100, 4), ...people(10, 3)], await served(ws.platform))).toEqual({ expected: 7, landed: 7, duplicates: 0, missing: 0, unexpected: 0 });
  });

  test('several changed files of one batch: one batch replays it; a batch holding an unchanged file is not replayed, and the run says why', async () => {
    await ws.writeDataflow('rq', ['source:', '  connection: inbox', '  path: rq', 'target:', '  dataset: people'].join('\n'));
    const before = await served(ws.platform);
    await write('rq/c.json', people(200, 2));
    await write('rq/d.json', people(210, 2));
    expect((await run('rq')).run.status).toBe('succeeded');

    await write('rq/c.json', people(300, 2));
    await write('rq/d.json', people(310, 2));
    const both = await run('rq');
    expect(both.run).toMatchObject({ status: 'succeeded', filesTaken: 2 });
    expect(both.run.batchIds).toHaveLength(1);
    expect(tally([...before, ...people(300, 2), ...people(310, 2)], await served(ws.platform))).toMatchObject({ duplicates: 0, missing: 0, unexpected: 0 });

    // c alone changes: its batch also holds d, whose records would go with a replay.
    await write('rq/c.json', people(400, 2));
    const one = await run('rq');
    expect(one.run).toMatchObject({ status: 'succeeded', filesTaken: 1 });
    expect(one.stderr).toMatch(/changed file sent beside its old version, not replacing it/);
    expect(one.stderr).toMatch(/also holds 1 file\(s\) not replaced with it \(rq\/d\.json\)/);
    expect(tally([...before, ...people(300, 2), ...people(310, 2), ...people(400, 2)], await served(ws.platform))).toMatchObject({ duplicates: 0, missing: 0, unexpected: 0 });
  });

  test('append: both versions stay in the dataset, no replay asked', async () => {
    await ws.writeDataflow('ra', ['source:', '  connection: inbox', '  path: ra', '  changedFiles: append', 'target:', '  dataset: people'].join('\n'));
    await write('ra/e.json', people(500, 2));
    expect((await run('ra')).run.status).toBe('succeeded');
    await write('ra/e.json', people(600, 2));
    const second = await run('ra');
    expect(second.run.status).toBe('succeeded');
    const catalog = await allBatches(ws.platform, 'people');
    expect(catalog.find((b) => b.id === second.run.batchIds[0])?.replaces ?? []).toEqual([]);
    const ids = (await served(ws.platform)).map((r) => (r as { id: string }).id);
    expect(ids.filter((id) => ['p500', 'p501', 'p600', 'p601'].includes(id)).sort()).toEqual(['p500', 'p501', 'p600', 'p601']);
  });
});
