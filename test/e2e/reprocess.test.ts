import { killAll, runCli } from './daemon-process';
import { landedRecords } from './exactly-once';
import { jsonl, people, sorted, Workspace } from './workspace';

/*
 * `dataflowd reprocess NAME PATH…` (issue 19): a file rejected once is sent again without editing
 * it (here after the dataflow's partial-ingestion threshold was raised), and only the files asked
 * for, recorded as a `reprocess` run.
 */

describe('dataflowd reprocess', () => {
  let ws: Workspace;
  const good = people(0, 4);
  const mixed = [...people(10, 1), { id: 'p11', email: 'p11@example.com', points: -5 }];

  const dataflow = (maxErrorPercent: number) =>
    ws.writeDataflow('people', ['source:', '  connection: inbox', '  path: in', 'target:', '  dataset: people', 'ingestion:', `  partialIngestion: { maxErrorPercent: ${maxErrorPercent} }`].join('\n'));

  beforeAll(async () => {
    ws = await Workspace.create();
    await dataflow(0);
    await ws.put('in/mixed.json', jsonl(mixed));
  });
  afterAll(async () => {
    await killAll();
    await ws?.close();
  });

  test('sends again a file rejected before, and only the files asked for', async () => {
    const first = await runCli(ws, ['run', 'people', '--json']);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'failed' });
    await ws.put('in/good.json', jsonl(good));
    const again = await runCli(ws, ['run', 'people', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 1 });
    expect((await runCli(ws, ['run', 'people', '--json'])).stdout).toContain('1 rejected before');

    await dataflow(50);
    const dry = await runCli(ws, ['reprocess', 'people', 'mixed.json', '--dry-run', '--json']);
    const decisions = JSON.parse(dry.stdout) as Array<{ path: string; action: string; reason: string }>;
    expect(decisions.filter((d) => d.action === 'take')).toEqual([expect.objectContaining({ path: 'in/mixed.json', reason: 'requested' })]);

    const re = await runCli(ws, ['reprocess', 'people', 'mixed.json', '--json']);
    expect({ code: re.code, run: JSON.parse(re.stdout) }).toMatchObject({ code: 3, run: { trigger: 'reprocess', status: 'partially_succeeded', filesTaken: 1, recordsOut: 1, recordsFailed: 1 } });
    expect(sorted(await landedRecords(ws.platform, 'people'))).toEqual(sorted([...good, mixed[0]]));

    const text = await runCli(ws, ['reprocess', 'people', 'in/good.json', 'nothing-here.json']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('not sent: in/nothing-here.json (not listed, not selected by the dataflow, or in progress)');
    expect(sorted(await landedRecords(ws.platform, 'people'))).toEqual(sorted([...good, ...good, mixed[0]]));
  });
});
