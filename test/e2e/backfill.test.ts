import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, sorted, Workspace } from './workspace';

describe('backfill: false', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
  });
  afterAll(() => ws.close());

  it('takes only files modified after the first run, and says why it leaves the others', async () => {
    await ws.writeDataflow('recent', 'source: { connection: inbox }\ntarget: { dataset: people }\nschedule: { frequency: hour, backfill: false }\n');
    await ws.put('old.json', jsonl(people(0, 3)));
    const long = new Date('2020-01-01T00:00:00Z');
    await utimes(path.join(ws.inbox, 'old.json'), long, long);

    const dry = await ws.cli(['run', 'recent', '--dry-run']);
    expect(dry.stdout).toMatch(/skip\s+old\.json .* outside backfill: modified 2020-01-01T00:00:00\.000Z, before \S+; backfill is false/);

    const first = await ws.cli(['run', 'recent', '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'skipped' });
    expect(JSON.parse(first.stdout).error).toMatch(/1 outside backfill/);

    const fresh = people(10, 4);
    await ws.put('new.json', jsonl(fresh));
    const second = await ws.cli(['run', 'recent', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 1 });
    expect(sorted(await ws.landed())).toEqual(sorted(fresh));
  });

  it('with startTime, takes only files modified after it', async () => {
    await ws.writeDataflow('since', 'source: { connection: inbox, include: ["s-*.json"] }\ntarget: { dataset: people }\nschedule: { frequency: hour, startTime: "2021-06-01T00:00:00Z", backfill: false }\n');
    await ws.put('s-before.json', jsonl(people(20, 1)));
    await ws.put('s-after.json', jsonl(people(30, 1)));
    await utimes(path.join(ws.inbox, 's-before.json'), new Date('2021-05-31T23:59:59Z'), new Date('2021-05-31T23:59:59Z'));
    const dry = await ws.cli(['run', 'since', '--dry-run', '--json']);
    const byPath = Object.fromEntries((JSON.parse(dry.stdout) as Array<{ path: string; action: string; reason: string }>).map((d) => [d.path, d]));
    expect(byPath['s-before.json']).toMatchObject({ action: 'skip', reason: 'outside_backfill' });
    expect(byPath['s-after.json']).toMatchObject({ action: 'take', reason: 'new' });
  });
});
