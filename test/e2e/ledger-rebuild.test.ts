import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { allBatches, landedRecords, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * An emptied ledger does not silently ingest everything again (issue 21 item 7), through the real
 * CLI and the emulator: `: > state.db` then `run` is refused (exit 4, ERR_LEDGER_EMPTY) while
 * Catalog holds the dataflow's batches; `ledger rebuild` writes the ledger from Catalog and Data
 * Access, after which a run takes only what is new; `--accept-empty-ledger` sends everything
 * again, on purpose.
 */

interface RunJson {
  id: string;
  status: string;
  filesTaken: number;
  errorCode: string | null;
  error: string | null;
}

describe('an emptied ledger, through the real CLI', () => {
  let ws: Workspace;
  const files = { 'lr/a.json': people(0, 4), 'lr/b.json': people(10, 4), 'lr/sub dir/c:d.json': people(20, 4) };
  const emptyLedger = () => writeFile(path.join(ws.dir, 'state.db'), '');

  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', ['source:', '  connection: inbox', '  path: lr', '  recursive: true', 'target:', '  dataset: people'].join('\n'));
    const past = new Date(Date.now() - 3_600_000);
    for (const [file, records] of Object.entries(files)) {
      await ws.put(file, jsonl(records));
      await utimes(path.join(ws.inbox, file), past, past);
    }
    const first = await ws.cli(['run', 'people', '--json']);
    expect(first.code).toBe(0);
  });
  afterAll(() => ws?.close());

  test('refused while Platform holds the dataflow’s batches; rebuilt from Catalog, the next run takes only what is new', async () => {
    await emptyLedger();
    const batches = (await allBatches(ws.platform, 'people')).length;
    const refused = await ws.cli(['run', 'people', '--json']);
    expect(refused.code).toBe(4);
    const run = JSON.parse(refused.stdout) as RunJson;
    expect(run).toMatchObject({ status: 'failed', filesTaken: 0, errorCode: 'ERR_LEDGER_EMPTY' });
    expect(run.error).toContain("dataflowd ledger rebuild people");
    expect(run.error).toContain('--accept-empty-ledger');
    expect((await allBatches(ws.platform, 'people')).length).toBe(batches);

    // a.json changes after its batch was created: Catalog keeps no fingerprint, its time tells.
    await ws.put('lr/a.json', jsonl(people(30, 2)));
    const rebuilt = await ws.cli(['ledger', 'rebuild', 'people', '--json']);
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toEqual([expect.objectContaining({ dataflow: 'people', status: 'succeeded', batches: 1, byName: 3, changedSince: 1, left: 0, unmatchedNames: 0 })]);
    // A rebuild is refused on a ledger that is not empty.
    expect((await ws.cli(['ledger', 'rebuild', 'people'])).code).toBe(1);
    // Without a name, a dataflow whose ledger holds something is left as it is.
    const all = await ws.cli(['ledger', 'rebuild']);
    expect([all.code, all.stdout]).toEqual([0, 'people: kept: its ledger is not empty\n']);

    await ws.put('lr/e.json', jsonl(people(40, 2)));
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(ws.inbox, 'lr/e.json'), past, past);
    const next = await ws.cli(['run', 'people', '--json']);
    expect(next.code).toBe(0);
    // The new e.json, and a.json as changed (appended: its old batch also holds b and c:d).
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 2 });
    const expected = [...Object.values(files).flat(), ...people(30, 2), ...people(40, 2)];
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toMatchObject({ duplicates: 0, missing: 0, unexpected: 0 });
  });

  test('--accept-empty-ledger sends everything again on purpose; the runs after it are not refused', async () => {
    await emptyLedger();
    const before = (await landedRecords(ws.platform, 'people')).length;
    expect((await ws.cli(['run', 'people'])).code).toBe(4);
    const accepted = await ws.cli(['run', 'people', '--accept-empty-ledger', '--json']);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 4 });
    // Every file now in the source once more: 2 + 4 + 4 + 2 records.
    expect((await landedRecords(ws.platform, 'people')).length).toBe(before + 12);
    const after = await ws.cli(['run', 'people', '--json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'skipped' });
  });

  test('a new dataflow, whose batches Catalog does not hold, is not refused', async () => {
    await ws.put('fresh/.keep', '');
    await ws.writeDataflow('fresh', ['source:', '  connection: inbox', '  path: fresh', '  include: ["*.json"]', 'target:', '  dataset: people'].join('\n'));
    const first = await ws.cli(['run', 'fresh', '--json']);
    expect([first.code, (JSON.parse(first.stdout) as RunJson).status]).toEqual([0, 'skipped']);
    await ws.put('fresh/f.json', jsonl(people(60, 2)));
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(ws.inbox, 'fresh/f.json'), past, past);
    const second = await ws.cli(['run', 'fresh', '--json']);
    expect([second.code, (JSON.parse(second.stdout) as RunJson).status]).toEqual([0, 'succeeded']);
  });
});
