import { jsonl, people, sorted, Workspace } from './workspace';

/*
 * Every Catalog status has its handling (src/platform/batch-status.ts), driven end to end through
 * the emulator's status scripts (faults batchStatuses) and the real CLI: Platform giving up on a
 * batch (stalled, abandoned) sends its files again in a new batch; a promoted batch gone inactive
 * with nothing replacing it fails its files, named.
 */

interface RunJson {
  id: string;
  status: string;
  error?: string | null;
}

interface Detail {
  batches: Array<{ id: string; state: string; platformStatus: string | null; error: string | null }>;
  files: Array<{ path: string; state: string; error: string | null }>;
}

describe('Catalog statuses, through the real CLI', () => {
  let ws: Workspace;
  let n = 0;
  beforeEach(async () => {
    ws = await Workspace.create();
  });
  afterEach(() => ws?.close());

  async function runWith(sequence: string[], times?: number): Promise<{ run: RunJson; detail: Detail; code: number; name: string }> {
    const name = `people-${++n}`;
    await ws.writeDataflow(name, ['source:', '  connection: inbox', `  include: ["${name}-*.json"]`, 'target:', '  dataset: people'].join('\n'));
    await ws.put(`${name}-a.json`, jsonl(people(n * 10, 3)));
    ws.emulator.faults.set({ batchStatuses: [{ sequence, ...(times === undefined ? {} : { times }) }] });
    const result = await ws.cli(['run', name, '--json']);
    const run = JSON.parse(result.stdout) as RunJson;
    const detail = JSON.parse((await ws.cli(['history', '--run', run.id, '--json'])).stdout) as Detail;
    return { run, detail, code: result.code, name };
  }

  test('stalled once: the files go again in a new batch of the same run, and land once', async () => {
    const { run, detail, code } = await runWith(['staging', 'retrying', 'stalled'], 1);
    expect([code, run.status]).toEqual([0, 'succeeded']);
    expect(detail.batches.map((b) => [b.state, b.platformStatus])).toEqual([
      ['aborted', 'stalled'],
      ['succeeded', 'success'],
    ]);
    expect(detail.batches[0].error).toContain('stalled: Platform gave up on it without judging its data');
    expect(sorted(await ws.landed())).toEqual(sorted(people(10, 3)));
  });

  test('abandoned every time: sent again twice, then the files wait for a later run, which takes them', async () => {
    const first = await runWith(['abandoned']);
    expect(first.run.status).toBe('failed');
    expect(first.detail.batches.map((b) => b.platformStatus)).toEqual(['abandoned', 'abandoned', 'abandoned']);
    expect(first.detail.files.map((f) => f.state)).toEqual(['error']);
    ws.emulator.faults.set({});
    const again = await ws.cli(['run', first.name, '--json']);
    expect((JSON.parse(again.stdout) as RunJson).status).toBe('succeeded');
    expect(sorted(await ws.landed())).toEqual(sorted(people(20, 3)));
  });

  test('promoted, then inactive with no batch replacing it: the files failed, the status named; nothing sent again', async () => {
    const { run, detail, code } = await runWith(['outcome', 'inactive']);
    expect([code, run.status]).toEqual([1, 'failed']);
    expect(detail.batches.map((b) => [b.state, b.platformStatus])).toEqual([['failed', 'inactive']]);
    expect(detail.files.map((f) => [f.state, f.error])).toEqual([['failed', expect.stringContaining('is inactive: promoted, then reverted or expired, and no batch replaces it')]]);
    expect(await ws.landed()).toEqual([]);
  });
});
