import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { allBatches, landedRecords, statusCounts, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * One bad file does not condemn its batch (issue 21 item 2), through the real CLI and the
 * emulator: the file at fault is rejected, the others land in a new batch of the same run, each
 * record once. Found by dataflowd's own checks before upload, or — for a row only Platform
 * refuses — by sending halves of the batch again. A batch Platform fails for a reason not about
 * the data is sent again a bounded number of times, and its files stay retryable.
 */

interface RunJson {
  id: string;
  status: string;
  filesTaken: number;
  filesIngested: number;
  filesFailed: number;
  batchIds: string[];
  error: string | null;
}

interface DryDecision {
  path: string;
  reason: string;
}

describe('a bad file in a batch, through the real CLI', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
  });
  afterAll(() => ws?.close());

  test('five good files and one with a broken line: the five land in the same run, only the one is rejected before', async () => {
    await ws.writeDataflow('mixed', ['source:', '  connection: inbox', '  path: mixed', 'target:', '  dataset: people'].join('\n'));
    const good = Array.from({ length: 5 }, (_, i) => people(i * 100, 100));
    for (const [i, records] of good.entries()) await ws.put(`mixed/g${i}.json`, jsonl(records));
    await ws.put('mixed/bad.json', `${jsonl(people(900, 3))}{"id": "p999", "email": \n`);

    const out = await ws.cli(['run', 'mixed', '--json']);
    const run = JSON.parse(out.stdout) as RunJson;
    expect(out.code).toBe(3);
    expect(run).toMatchObject({ status: 'partially_succeeded', filesTaken: 6, filesIngested: 5, filesFailed: 1 });
    expect(run.batchIds).toHaveLength(2);
    expect(tally(good.flat(), await landedRecords(ws.platform, 'people'))).toEqual({ expected: 500, landed: 500, duplicates: 0, missing: 0, unexpected: 0 });

    const dry = JSON.parse((await ws.cli(['run', 'mixed', '--dry-run', '--json'])).stdout) as DryDecision[];
    const reasons = Object.fromEntries(dry.map((d) => [d.path, d.reason]));
    expect(reasons).toEqual({
      'mixed/bad.json': 'rejected_before',
      ...Object.fromEntries(good.map((_, i) => [`mixed/g${i}.json`, 'already_ingested'])),
    });
    const again = JSON.parse((await ws.cli(['run', 'mixed', '--json'])).stdout) as RunJson;
    expect(again).toMatchObject({ status: 'skipped', error: expect.stringContaining('1 rejected before') });
  });

  test('a row only Platform refuses: halves are sent again until the one file at fault is named', async () => {
    // mapping.schema is looser than the dataset's: dataflowd's own checks let the bad row through.
    await writeFile(path.join(ws.configDir, 'schemas', 'loose.schema.json'), JSON.stringify({ type: 'object', properties: { id: { type: 'string' } } }));
    await ws.writeDataflow(
      'loose',
      ['source:', '  connection: inbox', '  path: loose', 'target:', '  dataset: people', 'mapping:', '  schema: ../schemas/loose.schema.json'].join('\n'),
    );
    const good = Array.from({ length: 3 }, (_, i) => people(2000 + i * 10, 10));
    for (const [i, records] of good.entries()) await ws.put(`loose/l${i}.json`, jsonl(records));
    await ws.put('loose/l3.json', jsonl([...people(3000, 4), { id: 'neg', email: 'neg@example.com', points: -1 }]));
    const before = (await allBatches(ws.platform, 'people')).length;

    const out = await ws.cli(['run', 'loose', '--json']);
    const run = JSON.parse(out.stdout) as RunJson;
    expect(out.code).toBe(3);
    expect(run).toMatchObject({ status: 'partially_succeeded', filesTaken: 4, filesIngested: 3, filesFailed: 1 });
    // 4 files → halves of 2 (one lands, one fails) → halves of 1 (one lands, one fails: named).
    expect(run.batchIds).toHaveLength(5);
    expect((await allBatches(ws.platform, 'people')).length - before).toBe(5);
    const landed = (await landedRecords(ws.platform, 'people')).filter((r) => Number((r as { id: string }).id.slice(1)) >= 2000);
    expect(tally(good.flat(), landed)).toEqual({ expected: 30, landed: 30, duplicates: 0, missing: 0, unexpected: 0 });
    const dry = JSON.parse((await ws.cli(['run', 'loose', '--dry-run', '--json'])).stdout) as DryDecision[];
    expect(dry.find((d) => d.path === 'loose/l3.json')).toMatchObject({ reason: 'rejected_before' });
    expect(dry.filter((d) => d.reason === 'already_ingested')).toHaveLength(3);
  });

  test('Platform fails every batch (batchFailureRate: 1): sent again twice, then left for a later run — never rejected before', async () => {
    await ws.writeDataflow('doomed', ['source:', '  connection: inbox', '  path: doomed', 'target:', '  dataset: people'].join('\n'));
    const good = Array.from({ length: 3 }, (_, i) => people(5000 + i * 10, 10));
    for (const [i, records] of good.entries()) await ws.put(`doomed/d${i}.json`, jsonl(records));
    const before = await allBatches(ws.platform, 'people');
    ws.emulator.faults.set({ rules: [], batchFailureRate: 1 });
    const out = await ws.cli(['run', 'doomed', '--json']);
    ws.emulator.faults.set({ rules: [] });
    const run = JSON.parse(out.stdout) as RunJson;
    expect(out.code).toBe(1);
    expect(run).toMatchObject({ status: 'failed', filesIngested: 0, error: expect.stringContaining('INGEST-EMU-FAULT-500') });
    // The first batch and two more: the resend budget (MAX_RESENDS), not one per file or a halving.
    const mine = (await allBatches(ws.platform, 'people')).filter((b) => !before.some((x) => x.id === b.id));
    expect(statusCounts(mine)).toEqual({ failed: 3 });

    const dry = JSON.parse((await ws.cli(['run', 'doomed', '--dry-run', '--json'])).stdout) as DryDecision[];
    expect(dry.map((d) => d.reason)).toEqual(['retry', 'retry', 'retry']);
    const next = await ws.cli(['run', 'doomed', '--json']);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded', filesIngested: 3 });
    const landed = (await landedRecords(ws.platform, 'people')).filter((r) => Number((r as { id: string }).id.slice(1)) >= 5000);
    expect(tally(good.flat(), landed)).toEqual({ expected: 30, landed: 30, duplicates: 0, missing: 0, unexpected: 0 });
  });
});
