import { DaemonProcess, killAll, runCli } from './daemon-process';
import { landedRecords, tally } from './exactly-once';
import { jsonl, people, Workspace } from './workspace';

/*
 * Ctrl-C on `dataflowd run` (issue 19): the first stops cleanly — the batch being filled is
 * aborted, a batch already completed is followed to Platform's answer, the run is recorded
 * `cancelled` with what it did, exit 130, no stack trace; a second quits at once, and the next run
 * settles what it left. Every record lands once whatever the moment.
 */

const FILES = 6;
const expected = Array.from({ length: FILES }, (_, i) => people(i * 10, 10)).flat();
const UPLOADS = { path: '/data/foundation/import/batches/', method: 'PUT', hold: true };
const COMPLETE = { path: '/data/foundation/import/batches/', method: 'POST', hold: true };

describe('Ctrl-C on dataflowd run', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', ['source:', '  connection: inbox', 'target:', '  dataset: people', 'ingestion:', '  maxFilesPerBatch: 3'].join('\n'));
    for (let i = 0; i < FILES; i++) await ws.put(`f${i}.json`, jsonl(expected.slice(i * 10, i * 10 + 10)));
  });
  afterEach(async () => {
    await killAll();
    await ws?.close();
  });

  /** Until the emulator holds a request of the held rule: the client is waiting on it. */
  const held = async () => {
    for (let i = 0; ws.emulator.faults.injected().matched === 0; i++) {
      if (i > 600) throw new Error('no request reached the held rule');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stopping = (l: { msg?: string }) => typeof l.msg === 'string' && l.msg.startsWith('stopping:');

  const history = async () => JSON.parse((await runCli(ws, ['history', 'people', '--json'])).stdout) as Array<{ status: string; error: string | null }>;
  const noStack = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

  test('during uploads: the batch is aborted, the run recorded cancelled, exit 130; the next run takes the files', async () => {
    ws.emulator.faults.set({ rules: [UPLOADS] });
    const run = DaemonProcess.command(ws, ['run', 'people']);
    await run.waitFor((l) => l.msg === 'batch created');
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 130, signal: null });
    ws.emulator.faults.set({ rules: [] });
    expect(run.stdout).toMatch(/^run \S+: cancelled$/m);
    expect(run.stdout).toContain('cancelled by Ctrl-C; 0 of 6 files ingested before it, 6 left for the next run');
    noStack(run.stdout + run.lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await history())[0]).toMatchObject({ status: 'cancelled' });
    const next = await runCli(ws, ['run', 'people', '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded', filesIngested: FILES });
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toMatchObject({ duplicates: 0, missing: 0 });
  });

  test('after COMPLETE: the batch is followed to Platform’s answer and nothing new is started', async () => {
    ws.emulator.faults.set({ rules: [COMPLETE] });
    const run = DaemonProcess.command(ws, ['run', 'people']);
    await held();
    const before = run.lines.length;
    run.child.kill('SIGINT');
    await run.waitFor(stopping);
    ws.emulator.faults.set({ rules: [] });
    expect(await run.exited).toEqual({ code: 130, signal: null });
    expect(run.lines.slice(before).filter((l) => l.msg === 'batch created')).toEqual([]);
    expect(run.stdout).toContain('cancelled by Ctrl-C; 3 of 6 files ingested before it, 3 left for the next run');
    const next = await runCli(ws, ['run', 'people', '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'succeeded', filesIngested: 3 });
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toMatchObject({ duplicates: 0, missing: 0 });
  });

  test('a second Ctrl-C quits at once; the next run settles what it left', async () => {
    ws.emulator.faults.set({ rules: [COMPLETE] });
    const run = DaemonProcess.command(ws, ['run', 'people']);
    await held();
    run.child.kill('SIGINT');
    await run.waitFor(stopping);
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 130, signal: null });
    ws.emulator.faults.set({ rules: [] });
    const next = await runCli(ws, ['run', 'people', '--json']);
    expect(next.code).toBe(0);
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toMatchObject({ duplicates: 0, missing: 0 });
  });
});
