import { killAll, runCli } from './daemon-process';
import { landedRecords, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * Names people really have (issue 21, item 3): every one of them is ingested, under a name Platform
 * takes; a name no storage can carry is skipped with its reason, in the run's files and in
 * --dry-run, and never holds up the rest of the folder.
 */

const NAMES = [
  'good.json',
  ' spaced name.json',
  'x:y.json',
  '#hash.json',
  '%25pct.json',
  'q?.json',
  '-dash.json',
  'a\\b.json',
  'café.json'.normalize('NFC'),
  'café.json'.normalize('NFD'),
  `${'L'.repeat(240)}.json`,
];
/** A drive-letter name: no path of this form is taken, on any storage. */
const UNUSABLE = 'C:';

describe('odd file names', () => {
  let ws: Workspace;
  const expected = NAMES.flatMap((_, i) => people(i * 3, 3));

  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', ['source:', '  connection: inbox', 'target:', '  dataset: people'].join('\n'));
    for (const [i, name] of NAMES.entries()) await ws.put(name, jsonl(expected.slice(i * 3, i * 3 + 3)));
    await ws.put(UNUSABLE, jsonl(people(900, 1)));
  });
  afterAll(async () => {
    await killAll();
    await ws?.close();
  });

  test('every odd name is ingested once; an unusable one is skipped with its reason and holds nothing up', async () => {
    const dry = await runCli(ws, ['run', 'people', '--dry-run', '--json']);
    const decisions = JSON.parse(dry.stdout) as Array<{ path: string; action: string; reason: string; detail?: string }>;
    expect(decisions.find((d) => d.path === UNUSABLE)).toMatchObject({ action: 'skip', reason: 'unusable_name', detail: 'cannot be taken: is a drive-letter path' });
    expect(decisions.filter((d) => d.action === 'take').map((d) => d.path).sort()).toEqual([...NAMES].sort());

    const run = await runCli(ws, ['run', 'people', '--json']);
    expect({ code: run.code, run: JSON.parse(run.stdout) }).toMatchObject({ code: 0, run: { status: 'succeeded', filesTaken: NAMES.length, filesIngested: NAMES.length, filesRefused: 1 } });
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toEqual({ expected: expected.length, landed: expected.length, duplicates: 0, missing: 0, unexpected: 0 });
    const files = JSON.parse((await runCli(ws, ['history', 'people', '--run', JSON.parse(run.stdout).id, '--json'])).stdout) as { files: Array<{ path: string; state: string; error: string | null }> };
    expect(files.files.find((f) => f.path === UNUSABLE)).toMatchObject({ state: 'skipped', error: 'cannot be taken: is a drive-letter path' });

    const again = await runCli(ws, ['run', 'people', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'skipped', filesRefused: 0, error: `nothing new: ${NAMES.length + 1} listed (${NAMES.length} already ingested, 1 unusable name)` });
  });
});
