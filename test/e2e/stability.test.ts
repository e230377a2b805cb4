import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, sorted, Workspace } from './workspace';

describe('the stability gate', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    // Every file here is younger than an hour: only the stability gate lets one through.
    await ws.writeDataflow('growing', 'source: { connection: inbox, minFileAge: 1h }\ntarget: { dataset: people }\n');
  });
  afterAll(() => ws.close());

  const run = async () => JSON.parse((await ws.cli(['run', 'growing', '--json'])).stdout) as { status: string; filesTaken: number; error: string | null };

  it('takes a young file only once a listing finds it unchanged, never while it grows', async () => {
    const parts = [people(0, 2), people(2, 2), people(4, 2)];
    await ws.put('export.json', jsonl(parts[0]));
    expect(await run()).toMatchObject({ status: 'skipped', filesTaken: 0 });
    expect((await run()).status).toBe('succeeded');
    expect(sorted(await ws.landed())).toEqual(sorted(parts[0]));

    // A second file is written in pieces between runs: each run sees it changed, and waits.
    await ws.put('late.json', jsonl(parts[1]));
    let r = await run();
    expect(r).toMatchObject({ status: 'skipped' });
    expect(r.error).toMatch(/1 not yet stable/);
    await appendFile(path.join(ws.inbox, 'late.json'), jsonl(parts[2]));
    r = await run();
    expect(r).toMatchObject({ status: 'skipped' });
    const dry = await ws.cli(['run', 'growing', '--dry-run']);
    expect(dry.stdout).toMatch(/TAKE\s+late\.json/);
    // The dry run observed nothing: the next real run takes the file it found unchanged.
    expect(await run()).toMatchObject({ status: 'succeeded', filesTaken: 1 });
    expect(sorted(await ws.landed())).toEqual(sorted([...parts[0], ...parts[1], ...parts[2]]));
  });
});
