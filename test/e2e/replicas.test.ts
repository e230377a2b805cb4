import { openStore } from '../../src/store/open-store';
import type { RunRecord, Store } from '../../src/store/types';
import { DaemonProcess, killAll, LogLine } from './daemon-process';
import { landedRecords, tally } from './exactly-once';
import { jsonl, Workspace } from './workspace';

/*
 * Three `dataflowd start` replicas on one PostgreSQL (issue 16): 20 dataflows on a cron of every
 * two seconds, files arriving in waves, one replica SIGKILLed in the middle of a run. Every record
 * lands exactly once, no two runs of a dataflow overlap in time, every tick is claimed by exactly
 * one replica, and the dataflows are spread over the replicas.
 */

/** Whole scenarios of many processes: minutes on a loaded machine, not the default minute. */
jest.setTimeout(300_000);

const DATAFLOWS = Array.from({ length: 20 }, (_, i) => `df-${String(i).padStart(2, '0')}`);
const FILES_PER_WAVE = 2;
const RECORDS_PER_FILE = 5;

const record = (df: string, wave: number, file: number, n: number) => ({ id: `${df}-w${wave}-f${file}-r${n}`, email: `${df}-${wave}-${file}-${n}@example.com`, points: n });

async function wave(ws: Workspace, n: number): Promise<unknown[]> {
  const written: unknown[] = [];
  for (const df of DATAFLOWS) {
    for (let f = 0; f < FILES_PER_WAVE; f++) {
      const records = Array.from({ length: RECORDS_PER_FILE }, (_, r) => record(df, n, f, r));
      await ws.put(`${df}/w${n}-f${f}.json`, jsonl(records));
      written.push(...records);
    }
  }
  return written;
}

/** Polls a condition on the shared store until it holds; fails with `what` after the timeout. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('three replicas on one PostgreSQL', () => {
  let ws: Workspace;
  let store: Store;

  beforeAll(async () => {
    ws = await Workspace.create({ store: 'postgres' });
    await ws.writeDaemonConfig('limits: { runs: 3 }', { state: ['lease: { ttl: 4s, heartbeat: 1s }'] });
    for (const df of DATAFLOWS) {
      await ws.writeDataflow(
        df,
        ['source:', '  connection: inbox', `  path: ${df}`, 'target:', '  dataset: people', 'schedule:', '  cron: "*/2 * * * * *"', 'ingestion:', '  maxFilesPerBatch: 2'].join('\n'),
      );
    }
    store = await openStore(ws.stateUrl);
  });

  afterAll(async () => {
    await killAll();
    await store?.close();
    await ws?.close();
  });

  test('20 dataflows on a seconds cron, one replica killed mid-run: every record once, no overlap, every tick once', async () => {
    const expected = await wave(ws, 1);
    const replicas = [0, 1, 2].map(() => DaemonProcess.start(ws, { DATAFLOWD_LOG_LEVEL: 'debug' }));
    for (const r of replicas) expect(await r.waitFor((l) => l.msg === 'dataflowd started', 0, 60_000)).toBeDefined();

    // The first replica to create a batch dies right there, its lease held and its batch open.
    const victim = await Promise.race(replicas.map((r) => r.waitFor((l) => l.msg === 'batch created', 0, 60_000).then(() => r)));
    const died = await victim.kill('SIGKILL');
    expect(died.signal).toBe('SIGKILL');
    const survivors = replicas.filter((r) => r !== victim);
    expected.push(...(await wave(ws, 2)));
    const mark = survivors.map((r) => r.lines.length);
    await Promise.race(survivors.map((r, i) => r.waitFor((l) => l.msg === 'run finished' && Number(l.filesTaken) > 0, mark[i], 60_000)));
    expected.push(...(await wave(ws, 3)));

    const total = DATAFLOWS.length * 3 * FILES_PER_WAVE;
    await until(`all ${total} files are ingested`, async () => {
      let ingested = 0;
      for (const df of DATAFLOWS) {
        const paths = [1, 2, 3].flatMap((w) => Array.from({ length: FILES_PER_WAVE }, (_, f) => `${df}/w${w}-f${f}.json`));
        ingested += [...(await store.latestVersions(df, paths)).values()].filter((e) => e.state === 'ingested').length;
      }
      return ingested === total;
    });
    for (const r of survivors) expect(await r.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    expect(tally(expected, await landedRecords(ws.platform, 'people'))).toEqual({ expected: expected.length, landed: expected.length, duplicates: 0, missing: 0, unexpected: 0 });

    // No two runs of one dataflow overlap; the killed replica's run was closed by whoever took over.
    const runsOf = new Map<string, RunRecord[]>();
    for (const df of DATAFLOWS) {
      const runs = (await store.listRuns({ dataflow: df, limit: 500 })).filter((r) => r.errorCode !== 'ERR_DATAFLOW_BUSY').reverse();
      runsOf.set(df, runs);
      for (let i = 1; i < runs.length; i++) {
        const [a, b] = [runs[i - 1], runs[i]];
        // On failure, the two runs as the store has them: who ran each, when, and how it ended.
        const facts = (r: RunRecord) => `${r.id} ${r.status} ${r.errorCode ?? ''} by ${r.owner?.pid ?? '?'} ${r.startedAt.toISOString()} → ${r.finishedAt?.toISOString() ?? ''}`;
        if (a.finishedAt !== null && a.finishedAt.getTime() > b.startedAt.getTime()) {
          // And what each replica logged about the dataflow (this is how a skipped tick closed as interrupted was found).
          for (const r of replicas) {
            for (const l of r.lines.filter((x: LogLine) => JSON.stringify(x).includes(df))) process.stderr.write(`replica ${r.pid}: ${JSON.stringify(l).slice(0, 400)}\n`);
          }
        }
        expect({ df, overlap: a.finishedAt !== null && a.finishedAt.getTime() > b.startedAt.getTime() ? [facts(a), facts(b)] : null }).toEqual({ df, overlap: null });
      }
    }
    const interrupted = [...runsOf.values()].flat().filter((r) => r.errorCode === 'ERR_RUN_INTERRUPTED');
    expect(interrupted.map((r) => r.owner?.pid)).toContain(victim.pid);

    // Every tick claimed by exactly one replica; each replica ran some of the dataflows.
    const claims = new Map<string, number>();
    for (const r of replicas) {
      for (const l of r.lines.filter((x: LogLine) => x.msg === 'tick claimed')) claims.set(`${String(l.dataflow)}@${String(l.due)}`, (claims.get(`${String(l.dataflow)}@${String(l.due)}`) ?? 0) + 1);
    }
    expect(claims.size).toBeGreaterThan(DATAFLOWS.length);
    expect([...claims.entries()].filter(([, n]) => n > 1)).toEqual([]);
    const ranBy = new Set([...runsOf.values()].flat().map((r) => r.owner?.pid));
    for (const r of replicas) expect(ranBy).toContain(r.pid);
  });
});
