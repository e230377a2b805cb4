import { jsonl, people, Workspace } from './workspace';

describe('dataflowd history: filters, and output that fits', () => {
  let ws: Workspace;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', 'source: { connection: inbox, include: ["*.json"] }\ntarget: { dataset: people }\n');
    await ws.put('a.json', jsonl(people(0, 40)));
    ids.succeeded = JSON.parse((await ws.cli(['run', 'people', '--json'])).stdout).id;
    ids.skipped = JSON.parse((await ws.cli(['run', 'people', '--json'])).stdout).id;
    await ws.put('bad.json', '{"id":"y1","email":"y1@example.com","points":1}\n{"id": "y2", oops}\n');
    ids.failed = JSON.parse((await ws.cli(['run', 'people', '--json'])).stdout).id;
  });
  afterAll(() => ws.close());

  const json = async (args: string[]) => {
    const out = await ws.cli(['history', ...args, '--json']);
    expect(out.code).toBe(0);
    return (JSON.parse(out.stdout) as Array<{ id: string }>).map((r) => r.id);
  };

  it('--status keeps the runs that ended so', async () => {
    expect(await json(['--status', 'failed'])).toEqual([ids.failed]);
    expect(await json(['people', '--status', 'succeeded,skipped'])).toEqual([ids.skipped, ids.succeeded]);
    expect(await json(['--status', 'partial'])).toEqual([]);
    expect(await json(['--status', 'failed,succeeded', '--limit', '1'])).toEqual([ids.failed]);
  });

  it('--since takes a duration back from now or a date', async () => {
    expect(await json(['--since', '1h'])).toEqual([ids.failed, ids.skipped, ids.succeeded]);
    expect(await json(['--since', '2000-01-01'])).toHaveLength(3);
    expect(await json(['--since', '2999-01-01T00:00:00Z'])).toEqual([]);
    const none = await ws.cli(['history', '--since', '2999-01-01']);
    expect(none.stdout).toMatch(/^no runs match$/m);
  });

  it('refuses a filter it cannot read, saying why, with exit 2', async () => {
    const status = await ws.cli(['history', '--status', 'broken']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--status: unknown status "broken" (expected running, succeeded, partially_succeeded, failed, skipped, cancelled or partial)');
    const since = await ws.cli(['history', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since: "yesterday" is neither a duration (30m, 2h, 7d) nor a date');
  });

  it('fits the width it is given, with human units, and no colour off a terminal', async () => {
    (ws.env as Record<string, string>).COLUMNS = '72';
    try {
      const table = await ws.cli(['history']);
      for (const line of table.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(71);
      expect(table.stdout).not.toContain('\x1b[');
      const detail = await ws.cli(['history', '--run', ids.failed]);
      expect(detail.code).toBe(0);
      for (const line of detail.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(71);
      expect(detail.stdout).toMatch(new RegExp(`^run ${ids.failed} {2}people {2}failed$`, 'm'));
      expect(detail.stdout).toMatch(/^ {2}records {3}2 in, 0 out, 2 failed$/m);
      expect(detail.stdout).toMatch(/^ {2}bytes {5}67 B \(67 bytes\)$/m);
      const ok = await ws.cli(['history', '--run', ids.succeeded]);
      expect(ok.stdout).toMatch(/^ {2}bytes {5}2\.0 KB \(\d,\d{3} bytes\)$/m);
      expect(ok.stdout).toMatch(/^ {2}ingested +40 +2\.0 KB {2}a\.json$/m);
    } finally {
      delete (ws.env as Record<string, string>).COLUMNS;
    }
  });
});
