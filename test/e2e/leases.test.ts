import { hostname } from 'node:os';
import { DaemonProcess, killAll, LogLine, runCli } from './daemon-process';
import { landedRecords, tally } from './exactly-once';
import { jsonl, people, STORES, Workspace } from './workspace';

/*
 * Several processes on one state store (issue 16), on SQLite and on PostgreSQL: `dataflowd run`
 * as a cron job killed at any moment, a `run` beside a daemon, a process paused past its lease.
 * Every kill and pause is placed by the process's own log lines, never by a timer; the one
 * wait that is about time (a paused holder's lease running out) is done by `run --wait` itself.
 */

/** Whole scenarios of many processes: minutes on a loaded machine, not the default minute. */
jest.setTimeout(300_000);

const FILES = 120;
const RECORDS_PER_FILE = 25;
const API_ONLY = ['schedule:', '  frequency: hour', '  startTime: 2099-01-01T00:00:00Z'];
const expected = Array.from({ length: FILES }, (_, i) => people(i * RECORDS_PER_FILE, RECORDS_PER_FILE)).flat();

/** A small deterministic generator: the kill moments are the same on every machine. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

async function workspace(store: (typeof STORES)[number], state: string[] = []): Promise<Workspace> {
  const ws = await Workspace.create({ store });
  if (state.length) await ws.writeDaemonConfig('', { state });
  await ws.writeDataflow('people', ['source:', '  connection: inbox', '  include: ["*.json"]', 'target:', '  dataset: people', ...API_ONLY, 'ingestion:', '  maxFilesPerBatch: 6'].join('\n'));
  for (let i = 0; i < FILES; i++) await ws.put(`f${String(i).padStart(3, '0')}.json`, jsonl(expected.slice(i * RECORDS_PER_FILE, (i + 1) * RECORDS_PER_FILE)));
  return ws;
}

/** Runs `dataflowd run people` n times, each SIGKILLed at the k-th line of its debug log. */
async function killedRuns(ws: Workspace, n: number, seed: number): Promise<string[]> {
  const random = lcg(seed);
  const diedAfter: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = DaemonProcess.command(ws, ['run', 'people'], { DATAFLOWD_LOG_LEVEL: 'debug' });
    const k = 2 + Math.floor(random() * 120);
    await run.waitFor(() => run.lines.length >= k, 0, 60_000);
    const how = await run.kill('SIGKILL');
    diedAfter.push(how.signal === 'SIGKILL' ? `${k}: ${String(run.lines[run.lines.length - 1]?.msg)}` : `${k}: finished (${how.code})`);
  }
  return diedAfter;
}

async function expectExactlyOnce(ws: Workspace): Promise<void> {
  expect(tally(expected, await landedRecords(ws.platform, 'people'))).toEqual({ expected: expected.length, landed: expected.length, duplicates: 0, missing: 0, unexpected: 0 });
}

describe.each(STORES)('processes sharing one %s store', (store) => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await killAll();
    await ws?.close();
    ws = undefined;
  });

  test('12 `dataflowd run`s killed at any moment, then one more `run`: every record exactly once, exit 0', async () => {
    ws = await workspace(store);
    const kills = await killedRuns(ws, 12, 16);
    const last = await runCli(ws, ['run', 'people', '--json']);
    expect({ code: last.code, kills }).toEqual({ code: 0, kills });
    await expectExactlyOnce(ws);
    const again = await runCli(ws, ['run', 'people', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'skipped', error: `nothing new: ${FILES} listed (${FILES} already ingested)` });
  });

  test('`dataflowd run`s killed at any moment, then `dataflowd start`: every record exactly once', async () => {
    ws = await workspace(store);
    await killedRuns(ws, 8, 61);
    const daemon = DaemonProcess.start(ws);
    const started = await daemon.waitFor((l) => l.msg === 'dataflowd started');
    if (!started) throw new Error(`daemon did not start:\n${daemon.tail()}`);
    const runs: LogLine[] = [];
    for (let from = daemon.lines.length; runs.length < 5; ) {
      expect((await fetch(`${String(started.http)}/api/dataflows/people/runs`, { method: 'POST' })).status).toBe(202);
      const finished = await daemon.waitFor((l) => l.msg === 'run finished', from, 60_000);
      if (!finished) throw new Error(`daemon died:\n${daemon.tail()}`);
      runs.push(finished);
      if (finished.status === 'skipped') break;
      from = daemon.lines.indexOf(finished) + 1;
    }
    expect(runs[runs.length - 1]).toMatchObject({ status: 'skipped' });
    expect(await daemon.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await expectExactlyOnce(ws);
  });

  test('a `run` beside a daemon running the same dataflow is refused, naming the daemon; `run --wait` waits for it', async () => {
    ws = await workspace(store);
    // The daemon's run stops at COMPLETE (POST …/batches/ID) until the test lets it go.
    ws.emulator.faults.set({ rules: [{ path: '/data/foundation/import/batches/', method: 'POST', hold: true }] });
    const daemon = DaemonProcess.start(ws);
    const started = await daemon.waitFor((l) => l.msg === 'dataflowd started');
    if (!started) throw new Error(`daemon did not start:\n${daemon.tail()}`);
    expect((await fetch(`${String(started.http)}/api/dataflows/people/runs`, { method: 'POST' })).status).toBe(202);
    await daemon.waitFor((l) => l.msg === 'batch created');

    const refused = await runCli(ws, ['run', 'people']);
    expect(refused.code).toBe(75);
    expect(refused.stdout).toMatch(new RegExp(`^not run: people is running in pid ${daemon.pid} on host ${hostname()} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ`));
    const api = await fetch(`${String(started.http)}/api/dataflows/people/runs`, { method: 'POST' });
    expect({ status: api.status, body: await api.json() }).toMatchObject({ status: 409, body: { started: false, reason: expect.stringContaining(`running in pid ${daemon.pid}`) } });
    // The second trigger is in history as what it was: an API request, skipped, the holder named (issue 21 item 10).
    const runs = JSON.parse((await runCli(ws, ['history', 'people', '--json'])).stdout) as Array<{ trigger: string; status: string; errorCode: string | null }>;
    expect(runs).toContainEqual(expect.objectContaining({ trigger: 'api', status: 'skipped', errorCode: 'ERR_DATAFLOW_BUSY' }));
    const listed = (await (await fetch(`${String(started.http)}/api/dataflows`)).json()) as Array<{ name: string; holder: { pid: number } | null }>;
    expect(listed.find((d) => d.name === 'people')?.holder).toMatchObject({ pid: daemon.pid, host: hostname() });

    const history = await runCli(ws, ['history', 'people'], { COLUMNS: '300' });
    // history names the holder next to the next run, and which process ran each run.
    expect(history.stdout).toContain(`; now running in pid ${daemon.pid} on host ${hostname()}`);
    expect(history.stdout).toContain(`${hostname()}:${daemon.pid}`);

    const waiting = DaemonProcess.command(ws, ['run', 'people', '--wait', '--json']);
    ws.emulator.faults.set({ rules: [] });
    const finished = await daemon.waitFor((l) => l.msg === 'run finished' && l.trigger === undefined && l.status !== 'skipped', 0, 60_000);
    expect(finished).toMatchObject({ status: 'succeeded', filesTaken: FILES });
    expect(await waiting.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(waiting.stdout)).toMatchObject({ status: 'skipped', error: `nothing new: ${FILES} listed (${FILES} already ingested)` });
    await expectExactlyOnce(ws);
  });

  test('a process paused past its lease is taken over; its late writes are refused when it resumes', async () => {
    ws = await workspace(store, ['lease: { ttl: 3s, heartbeat: 1s }']);
    const first = DaemonProcess.command(ws, ['run', 'people'], { DATAFLOWD_LOG_LEVEL: 'debug' });
    await first.waitFor((l) => l.msg === 'batch created');
    process.kill(first.pid, 'SIGSTOP');
    try {
      // The successor finds the lease live, waits until it runs out, takes it over and settles.
      const second = await runCli(ws, ['run', 'people', '--wait', '--json']);
      expect({ code: second.code, took: second.logs.some((l) => l.msg === 'took over the lease of a process that did not let go of it') }).toEqual({ code: 0, took: true });
      expect(JSON.parse(second.stdout)).toMatchObject({ status: 'succeeded', filesIngested: FILES });
    } finally {
      process.kill(first.pid, 'SIGCONT');
    }
    const how = await first.exited;
    expect(how).toEqual({ code: 1, signal: null });
    expect(first.lines.some((l) => /lease lost|no longer holds its lease/.test(`${String(l.msg)} ${String(l.err)} ${String(l.error)}`))).toBe(true);
    await expectExactlyOnce(ws);
  });
});

describe('every run has a deadline', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await killAll();
    await ws?.close();
  });

  test('a run stuck waiting on Platform past ingestion.runTimeout is aborted and recorded so; the next run settles its batch', async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', ['source:', '  connection: inbox', 'target:', '  dataset: people', 'ingestion:', '  runTimeout: 2s'].join('\n'));
    const records = people(0, 10);
    await ws.put('a.json', jsonl(records));
    // COMPLETE never answers until the rules change: without a deadline the run would wait for ever.
    ws.emulator.faults.set({ rules: [{ path: '/data/foundation/import/batches/', method: 'POST', hold: true }] });
    const stuck = await runCli(ws, ['run', 'people', '--json']);
    expect({ code: stuck.code, run: JSON.parse(stuck.stdout) }).toMatchObject({
      code: 1,
      run: { status: 'failed', errorCode: 'ERR_RUN_DEADLINE', error: 'the run was still going after 2s (ingestion.runTimeout) and was aborted' },
    });
    ws.emulator.faults.set({ rules: [] });
    const next = await runCli(ws, ['run', 'people', '--json']);
    expect(next.code).toBe(0);
    expect(tally(records, await landedRecords(ws.platform, 'people'))).toMatchObject({ duplicates: 0, missing: 0 });
  });
});
