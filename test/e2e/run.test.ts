import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, sorted, Workspace } from './workspace';

describe('dataflowd run, end to end through the real CLI and the emulator over HTTP', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', ['source:', '  connection: inbox', '  include: ["*.json"]', 'target:', '  dataset: people'].join('\n'));
  });
  afterAll(() => ws.close());

  const a = people(0, 40);
  const b = people(100, 25);

  it('ingests exactly the source records, and nothing on a second run', async () => {
    await ws.put('a.json', jsonl(a));
    await ws.put('b.json', jsonl(b));
    await ws.put('notes.txt', 'not selected');
    const first = await ws.cli(['run', 'people']);
    expect(first.stderr).not.toContain('s3cr3t-e2e-value');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/succeeded/);
    expect(sorted(await ws.landed())).toEqual(sorted([...a, ...b]));

    const second = await ws.cli(['run', 'people']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/skipped/);
    expect(second.stdout).toMatch(/2 already ingested/);
    expect(sorted(await ws.landed())).toEqual(sorted([...a, ...b]));
    expect(await ws.platform.listBatches({ dataSet: 'people' })).toHaveLength(1);
  });

  it('ingests a changed file again as a new version', async () => {
    const more = people(200, 3);
    await ws.put('b.json', jsonl([...b, ...more]));
    const earlier = new Date(Date.now() - 3_600_000);
    await utimes(path.join(ws.inbox, 'b.json'), earlier, earlier);
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'succeeded', filesTaken: 1, filesIngested: 1, recordsIn: 28, recordsOut: 28 });
    expect(sorted(await ws.landed())).toEqual(sorted([...a, ...b, ...b, ...more]));
  });

  it('fails the batch on a record that breaks the dataset schema, and marks nothing ingested', async () => {
    await ws.put('bad-schema.json', jsonl([{ id: 'x1', email: 'x1@example.com', points: 1 }, { id: 'x2', email: 'not-an-email', points: -5 }]));
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 1, filesIngested: 0, filesFailed: 1 });
    expect(record.error).toMatch(/\S/);
    expect(sorted(await ws.landed())).not.toContain(JSON.stringify({ id: 'x1', email: 'x1@example.com', points: 1 }));
    // Platform rejected that version: it is not sent again until it changes.
    const dry = await ws.cli(['run', 'people', '--dry-run', '--json']);
    const decision = JSON.parse(dry.stdout).find((d: { path: string }) => d.path === 'bad-schema.json');
    expect(decision).toMatchObject({ action: 'skip', reason: 'rejected_before' });
  });

  it('fails the batch on a malformed JSON line with Platform\'s error, and the run records why', async () => {
    await ws.put('bad-syntax.json', '{"id":"y1","email":"y1@example.com","points":1}\n{"id": "y2", oops}\n');
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record.status).toBe('failed');
    const history = JSON.parse((await ws.cli(['history', 'people', '--json', '--limit', '1'])).stdout);
    expect(history[0].id).toBe(record.id);
    expect(history[0].error).toBe(record.error);
    expect(record.error).toMatch(/\S/);
  });

  it('shows past runs with every field, newest first', async () => {
    const out = await ws.cli(['history', '--json']);
    expect(out.code).toBe(0);
    const runs = JSON.parse(out.stdout);
    expect(runs.map((r: { status: string }) => r.status)).toEqual(['failed', 'failed', 'succeeded', 'skipped', 'succeeded']);
    for (const key of ['id', 'dataflow', 'trigger', 'startedAt', 'durationMs', 'status', 'filesTaken', 'filesIngested', 'filesFailed', 'recordsIn', 'recordsOut', 'recordsFailed', 'bytes', 'batchIds', 'error']) {
      expect(runs[0]).toHaveProperty(key);
    }
    const table = await ws.cli(['history', 'people', '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN\s+STATUS\s+STARTED\s+TOOK/);
    const [runsPart, nextPart] = table.stdout.trim().split('\n\n');
    expect(runsPart.split('\n')).toHaveLength(3);
    expect(nextPart).toBe('NEXT RUN\n  people: at the next start (once)');
  });

  it('explains in a dry run why each file is or is not taken', async () => {
    await ws.put('c.json', jsonl(people(300, 2)));
    const dry = await ws.cli(['run', 'people', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/TAKE\s+c\.json .* new/);
    expect(dry.stdout).toMatch(/skip\s+a\.json .* already ingested: ingested by run/);
    expect(dry.stdout).toMatch(/skip\s+notes\.txt .* excluded: no include matched/);
    expect(await ws.platform.listBatches({ dataSet: 'people', limit: 100 })).toHaveLength(4);
  });

  it('settles a batch of files without records without sending an empty batch', async () => {
    await ws.put('blank.json', '\n\n');
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsOut: 2 });
    await ws.put('blank-too.json', ' \n');
    const alone = await ws.cli(['run', 'people', '--json']);
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 1, filesIngested: 1, recordsOut: 0 });
    const again = await ws.cli(['run', 'people', '--json']);
    expect(JSON.parse(again.stdout).status).toBe('skipped');
  });
});
