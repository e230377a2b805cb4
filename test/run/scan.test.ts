import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localConnector } from '../../connectors/local';
import { connectorError } from '../../src/connector/errors';
import type { SourceConnector } from '../../src/connector/types';
import { fingerprint } from '../../src/detect/fingerprint';
import type { DetectRules } from '../../src/detect/detect';
import { silentLogger } from '../../src/lib/logger';
import { scan, type TakeDecision } from '../../src/run/scan';
import { openStore } from '../../src/store/open-store';
import type { Fence, Store } from '../../src/store/types';

/* scan over a real folder and a real (in-memory SQLite) ledger, handing taken files over a chunk at a time. */

const FILES = 1_200;
let dir: string;
let store: Store;
let fence: Fence;
let runs = 0;

const rules: DetectRules = {
  excludedBy: () => undefined,
  minFileAgeMs: 0,
  changedFiles: 'append',
  fingerprint: (f) => fingerprint(f, localConnector.traits({ type: 'local', root: '.' })),
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-scan-'));
  for (let i = 0; i < FILES; i++) await writeFile(path.join(dir, `f${String(i).padStart(5, '0')}.json`), '{}\n');
  store = await openStore('sqlite::memory:');
  await store.migrate();
  const lease = await store.acquireLease('df', { processId: 'test', host: 'test', pid: 1 }, { ttlMs: 60_000 });
  if (!lease.granted) throw new Error('no lease');
  fence = { dataflow: 'df', token: lease.lease.token };
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Scans `connector` as a run does, recording each chunk it is handed as pending. */
async function scanRecording(connector: SourceConnector) {
  const runId = `run-${++runs}`;
  await store.createRun({ id: runId, dataflow: 'df', trigger: 'manual', startedAt: new Date() }, fence);
  const chunks: number[] = [];
  const take = async (taken: TakeDecision[]) => {
    chunks.push(taken.length);
    await store.addPending(fence, runId, taken.map((d) => ({ ...d.version, supersedes: d.previous?.id ?? null })));
  };
  const result = await scan({ connector, store, dataflow: 'df', folder: '', recursive: false, rules, now: new Date(), signal: new AbortController().signal, fence, take, takeChunk: 500 });
  return { runId, chunks, result };
}

it('hands the taken files over a chunk at a time and keeps none of them', async () => {
  const local = await localConnector.create({ type: 'local', root: dir }, { logger: silentLogger, baseDir: dir });
  const { runId, chunks, result } = await scanRecording(local);
  expect(chunks).toEqual([500, 500, 200]);
  expect(result).toMatchObject({ listed: FILES, taken: [] });
  expect((await store.filesOfRun(runId)).filter((f) => f.state === 'pending')).toHaveLength(FILES);
  await store.setFileState(fence, (await store.filesOfRun(runId)).map((f) => f.id), 'error', { error: 'next test' });
});

it('a listing retried after a failure part-way takes each file once: those already recorded are in progress', async () => {
  const local = await localConnector.create({ type: 'local', root: dir }, { logger: silentLogger, baseDir: dir });
  let failures = 0;
  // The real folder, with the connection dropping once after 700 files.
  const flaky: SourceConnector = Object.assign(Object.create(local) as SourceConnector, {
    async *list(folder: string, opts: Parameters<SourceConnector['list']>[1]) {
      let n = 0;
      for await (const f of local.list(folder, opts)) {
        if (++n > 700 && failures === 0) {
          failures++;
          throw connectorError('transient', 'connection reset while listing');
        }
        yield f;
      }
    },
  });
  const { runId, chunks, result } = await scanRecording(flaky);
  expect(failures).toBe(1);
  expect(chunks).toEqual([500, 500, 200]);
  expect(result.skipped).toEqual({ in_progress: 500 });
  const files = await store.filesOfRun(runId);
  expect(files).toHaveLength(FILES);
  expect(new Set(files.map((f) => f.path)).size).toBe(FILES);
});
