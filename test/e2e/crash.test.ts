import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { CRASH_POINTS } from '../../src/lib/crash-points';
import { DaemonProcess, killAll, LogLine } from './daemon-process';
import { allBatches, landedRecords, statusCounts, tally } from './exactly-once';
import { jsonl, people, STORES, Workspace } from './workspace';

/*
 * Exactly-once across crashes. `dataflowd start` runs a 200-file dataflow against the emulator
 * (in this process, so it outlives every kill). Each cycle starts the daemon — whose start-up
 * recovery settles what the last one left — triggers a run through the HTTP API, and the
 * daemon kills itself with SIGKILL at a named point of the run (DATAFLOWD_CRASH_AT, see
 * src/lib/crash-points.ts): after listing, after recording pending files, between Platform
 * creating a batch and the ledger recording it, mid-upload, before and after COMPLETE, before
 * the ledger update, before afterIngest. A cycle whose point is not reached ends with the run,
 * and the harness kills the daemon itself. Then a clean daemon finishes the job, and the records
 * in the emulator must equal the source records exactly, compared by content.
 */

const FILES = 200;
const RECORDS_PER_FILE = 5;
/** Small batches, so that a run is many steps and kills land in the middle of the work. */
const FILES_PER_BATCH = 4;

/**
 * The kills, in order: every point in three rounds, the n-th pass growing so that kills also land
 * in later batches of a run. Once-per-run points are always the first pass. About 28 of the 50
 * batches get done during these, so every kill finds work left to die in.
 */
const SPECS = [1, 2, 3].flatMap((round) =>
  CRASH_POINTS.map((point) => {
    if (point === 'after-list' || point === 'after-pending') return `${point}:1`;
    if (point === 'mid-upload') return `${point}:${[1, 3, 6][round - 1]}`;
    return `${point}:${round}`;
  }),
);

interface Cycle {
  spec: string;
  /** The point the daemon died at, or 'run finished' when the harness killed it after its run. */
  died: string;
}

/** Starts a daemon, waits for its recovery to be done, and triggers one run of `dataflow`. */
async function startAndTriggerIn(ws: Workspace, dataflow: string, env: Record<string, string>): Promise<{ daemon: DaemonProcess; mark: number }> {
  const daemon = DaemonProcess.start(ws, env);
  const started = await daemon.waitFor((l) => l.msg === 'dataflowd started');
  if (!started) throw new Error(`daemon exited before it started:\n${daemon.tail()}`);
  const mark = daemon.lines.length;
  const answer = await fetch(`${String(started.http)}/api/dataflows/${dataflow}/runs`, { method: 'POST' });
  expect(answer.status).toBe(202);
  return { daemon, mark };
}

const API_ONLY = ['schedule:', '  frequency: hour', '  startTime: 2099-01-01T00:00:00Z'];

describe.each(STORES)('exactly once across SIGKILLs (%s store)', (store) => {
  let ws: Workspace;
  const expected = Array.from({ length: FILES }, (_, i) => people(i * RECORDS_PER_FILE, RECORDS_PER_FILE)).flat();

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    await ws.writeDataflow(
      'people',
      [
        'source:',
        '  connection: inbox',
        '  include: ["*.json"]',
        'target:',
        '  dataset: people',
        // Runs come from the API only: the schedule's first tick is far away.
        ...API_ONLY,
        'ingestion:',
        `  maxFilesPerBatch: ${FILES_PER_BATCH}`,
      ].join('\n'),
    );
    for (let i = 0; i < FILES; i++) await ws.put(`f${String(i).padStart(3, '0')}.json`, jsonl(expected.slice(i * RECORDS_PER_FILE, (i + 1) * RECORDS_PER_FILE)));
  });

  afterAll(async () => {
    await killAll();
    await ws?.close();
  });

  const startAndTrigger = (env: Record<string, string>) => startAndTriggerIn(ws, 'people', env);

  test(`${SPECS.length} kills at varied points; every record lands exactly once`, async () => {
    const cycles: Cycle[] = [];
    for (const spec of SPECS) {
      const { daemon, mark } = await startAndTrigger({ DATAFLOWD_CRASH_AT: spec });
      const finished = await daemon.waitFor((l) => l.msg === 'run finished', mark);
      if (finished) {
        expect(await daemon.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
        cycles.push({ spec, died: 'run finished' });
        continue;
      }
      expect(await daemon.exited).toMatchObject({ signal: 'SIGKILL' });
      const crash = daemon.lines.find((l: LogLine) => typeof l.crashPoint === 'string');
      expect(crash).toMatchObject({ crashPoint: spec.split(':')[0] });
      cycles.push({ spec, died: String(crash?.crashPoint) });
    }

    // A clean daemon: recovery, then runs until one finds nothing new, then a clean stop.
    const { daemon, mark } = await startAndTrigger({});
    const runs: LogLine[] = [];
    for (let from = mark; runs.length < 5; ) {
      const finished = await daemon.waitFor((l) => l.msg === 'run finished', from, 60_000);
      if (!finished) throw new Error(`clean daemon died:\n${daemon.tail()}`);
      runs.push(finished);
      if (finished.status === 'skipped') break;
      from = daemon.lines.indexOf(finished) + 1;
      await fetch(`${String(daemon.lines.find((l) => l.msg === 'dataflowd started')?.http)}/api/dataflows/people/runs`, { method: 'POST' });
    }
    expect(await daemon.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    const pointKills = cycles.filter((c) => c.died !== 'run finished');
    const landed = await landedRecords(ws.platform, 'people');
    const figures = tally(expected, landed);
    const batches = statusCounts(await allBatches(ws.platform, 'people'));
    const byPoint: Record<string, number> = {};
    for (const c of pointKills) byPoint[c.died] = (byPoint[c.died] ?? 0) + 1;
    process.stdout.write(
      `crash test: ${cycles.length} kills (${pointKills.length} at crash points ${JSON.stringify(byPoint)}, ` +
        `${cycles.length - pointKills.length} after a finished run); final runs ${runs.map((r) => `${String(r.status)}:${String(r.filesIngested)}`).join(', ')}; ` +
        `batches ${JSON.stringify(batches)}; records expected ${figures.expected}, landed ${figures.landed}, duplicates ${figures.duplicates}, missing ${figures.missing}\n`,
    );

    expect(pointKills.length).toBe(SPECS.length);
    expect(Object.keys(byPoint).sort()).toEqual([...CRASH_POINTS].sort());
    expect(figures).toEqual({ expected: FILES * RECORDS_PER_FILE, landed: FILES * RECORDS_PER_FILE, duplicates: 0, missing: 0, unexpected: 0 });
    // Nothing left open in Platform: a batch the ledger never knew was found and aborted too.
    expect(Object.keys(batches).filter((s) => s !== 'success' && s !== 'aborted')).toEqual([]);
    // And the ledger agrees: every file ingested, none waiting.
    const dry = JSON.parse((await ws.cli(['run', 'people', '--dry-run', '--json'])).stdout) as Array<{ reason: string }>;
    expect(dry.filter((d) => d.reason === 'already_ingested')).toHaveLength(FILES);
  }, 170_000);
});

describe.each(STORES)('afterIngest across SIGKILLs (%s store)', (store) => {
  let ws: Workspace;
  const expected = people(10_000, 8 * 3);

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    await ws.writeDataflow(
      'tidy',
      ['source:', '  connection: inbox', '  path: tidy', '  afterIngest: delete', 'target:', '  dataset: people', ...API_ONLY, 'ingestion:', '  maxFilesPerBatch: 4'].join('\n'),
    );
    for (let i = 0; i < 8; i++) await ws.put(`tidy/t${i}.json`, jsonl(expected.slice(i * 3, (i + 1) * 3)));
  });

  afterAll(async () => {
    await killAll();
    await ws?.close();
  });

  test('files of a batch accepted just before a crash, or settled by recovery, are still deleted, and only those', async () => {
    const inbox = () => readdir(path.join(ws.inbox, 'tidy'));
    // Batch 1 accepted, then death before its files are deleted.
    let cycle = await startAndTriggerIn(ws, 'tidy', { DATAFLOWD_CRASH_AT: 'before-after-ingest:1' });
    expect(await cycle.daemon.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await inbox()).toHaveLength(8);
    // The next run deletes batch 1's files first; batch 2 dies before its COMPLETE.
    cycle = await startAndTriggerIn(ws, 'tidy', { DATAFLOWD_CRASH_AT: 'before-complete:1' });
    expect(await cycle.daemon.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await inbox()).toHaveLength(4);
    // Recovery completes batch 2 at start-up; the next run deletes its files and finds nothing new.
    cycle = await startAndTriggerIn(ws, 'tidy', {});
    const finished = await cycle.daemon.waitFor((l) => l.msg === 'run finished', cycle.mark);
    expect(finished).toMatchObject({ status: 'skipped' });
    expect(await cycle.daemon.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await inbox()).toEqual([]);
    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toMatchObject({ landed: expected.length, duplicates: 0, missing: 0 });
  });
});
