import { openStore } from '../../src/store/open-store';
import { silentLogger } from '../../src/lib/logger';
import { PendingBatches, runBatches } from '../../src/run/pending-batches';
import type { Fence, LedgerEntry, Store } from '../../src/store/types';

/* The batches a run reads back from a real (in-memory SQLite) ledger, a batch at a time. */

let store: Store;
let fence: Fence;
let n = 0;

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  await store.migrate();
  const lease = await store.acquireLease('df', { processId: 'test', host: 'test', pid: 1 }, { ttlMs: 60_000 });
  if (!lease.granted) throw new Error('no lease');
  fence = { dataflow: 'df', token: lease.lease.token };
});

afterAll(async () => store?.close());

async function takenRun(sizes: number[]): Promise<{ runId: string; files: LedgerEntry[] }> {
  const runId = `run-${++n}`;
  await store.createRun({ id: runId, dataflow: 'df', trigger: 'manual', startedAt: new Date() }, fence);
  const files = await store.addPending(
    fence,
    runId,
    sizes.map((size, i) => ({ path: `${runId}/f${i}.json`, fingerprint: `${size}:${i}`, size, modifiedAt: new Date(0), supersedes: null })),
  );
  return { runId, files };
}

/** Delivers a batch as far as the ledger is concerned: its files leave `pending`. */
async function deliver(batch: LedgerEntry[]): Promise<void> {
  await store.setFileState(fence, batch.map((f) => f.id), 'ingested');
}

it('reads the files in taking order, within the file-count and byte limits, and no file twice', async () => {
  const { runId, files } = await takenRun([10, 10, 10, 60, 50, 10, 10]);
  const batches = new PendingBatches(store, runId, 3, 100);
  const paths: string[][] = [];
  for (let batch = await batches.next(); batch; batch = await batches.next()) {
    paths.push(batch.files.map((f) => f.path));
    await deliver(batch.files);
  }
  const p = files.map((f) => f.path);
  // The byte limit cut the second page short: what it left is read again, from where the batch ended.
  expect(paths).toEqual([[p[0], p[1], p[2]], [p[3]], [p[4], p[5], p[6]]]);
});

it('sends files given back ahead of the rest, and does not read them again from the ledger', async () => {
  const { runId, files } = await takenRun([1, 1, 1, 1]);
  const batches = new PendingBatches(store, runId, 2, 100);
  const first = (await batches.next())!.files;
  // The first file was rejected; the second goes again, pending once more.
  await store.setFileState(fence, [first[0].id], 'failed');
  batches.again({ files: [first[1]], replaces: [] });
  expect((await batches.next())!.files.map((f) => f.path)).toEqual([files[1].path]);
  await deliver([first[1]]);
  const rest = (await batches.next())!.files;
  expect(rest.map((f) => f.path)).toEqual([files[2].path, files[3].path]);
  await deliver(rest);
  expect(await batches.next()).toBeUndefined();
});

it('with changedFiles: replace, plans the changed files for replay first and streams the new ones after', async () => {
  const { runId: firstRun, files: old } = await takenRun([5, 5]);
  await store.createBatch(fence, { id: `b-${firstRun}`, runId: firstRun, dataset: 'ds', externalId: `x-${firstRun}` }, [{ ids: old.map((f) => f.id), state: 'uploading', patch: { batchId: `b-${firstRun}` } }]);
  await store.updateBatch(fence, `b-${firstRun}`, { state: 'succeeded' }, [{ ids: old.map((f) => f.id), state: 'ingested' }]);

  const runId = `run-${++n}`;
  await store.createRun({ id: runId, dataflow: 'df', trigger: 'manual', startedAt: new Date() }, fence);
  const fresh = (i: number) => ({ path: `${runId}/new${i}.json`, fingerprint: `n${i}`, size: 1, modifiedAt: new Date(0), supersedes: null });
  // Taken in listing order: new paths around the two changed ones.
  await store.addPending(fence, runId, [fresh(0), fresh(1)]);
  await store.addPending(fence, runId, old.map((f) => ({ path: f.path, fingerprint: 'changed', size: 6, modifiedAt: new Date(1), supersedes: f.id })));
  await store.addPending(fence, runId, [fresh(2)]);

  const plan = { dataflow: 'df', datasetId: 'ds', changedFiles: 'replace', maxFilesPerBatch: 2, maxBatchBytes: 1000 };
  const { queue } = await runBatches({ store, logger: silentLogger, plan }, runId);
  const seen: Array<{ paths: string[]; replaces: string[] }> = [];
  for (let batch = await queue.next(); batch; batch = await queue.next()) {
    seen.push({ paths: batch.files.map((f) => f.path), replaces: batch.replaces });
    await deliver(batch.files);
  }
  expect(seen).toEqual([
    { paths: old.map((f) => f.path), replaces: [`b-${firstRun}`] },
    { paths: [`${runId}/new0.json`, `${runId}/new1.json`], replaces: [] },
    { paths: [`${runId}/new2.json`], replaces: [] },
  ]);
});
