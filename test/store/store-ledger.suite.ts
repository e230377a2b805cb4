import type { FileState, FileVersion, LedgerEntry } from '../../src/store/types';
import type { SuiteContext } from './store-suite-context';

/** The ledger half of the store suite (store.suite.ts): file versions, their states and lookups. */
export function ledgerSuite(ctx: SuiteContext): void {
  const { uid, newRun, version, ids, take, fence } = ctx;

  describe('ledger', () => {
    it('records taken versions as pending, with ids that only grow', async () => {
      const run = await newRun();
      const big: FileVersion = { path: 'dir/big file ü.csv', fingerprint: '"etag-1"', size: 5_000_000_000, modifiedAt: new Date('2024-05-01T10:00:00.123Z') };
      const entries = await take(run, [version('a.csv'), big, version("it's.csv", 2)]);

      expect(entries).toHaveLength(3);
      expect(entries[1]).toEqual({
        ...big,
        id: entries[1].id,
        dataflow: run.dataflow,
        state: 'pending',
        runId: run.id,
        batchId: null,
        records: null,
        error: null,
        createdAt: entries[1].createdAt,
        updatedAt: entries[1].updatedAt,
      });
      expect(entries[0].id).toBeLessThan(entries[1].id);
      expect(entries[1].id).toBeLessThan(entries[2].id);
      expect(await ctx.store.filesOfRun(run.id)).toEqual(entries);

      await ctx.store.setFileState(await fence(run.dataflow), [entries[0].id], 'ingested');
      const later = await take(run, [version('a.csv', 2)]);
      expect(later[0].id).toBeGreaterThan(entries[2].id);
    });

    it('reads a run’s pending files outside any batch a page at a time, from a cursor', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const [a, b, c, d, e] = await take(run, ['a', 'b', 'c', 'd', 'e'].map((p) => version(`${p}.csv`)));
      await take(await newRun(), [version('a.csv')]);
      const batchId = uid('batch');
      await ctx.store.createBatch(f, { id: batchId, runId: run.id, dataset: 'ds', externalId: batchId }, [{ ids: [b.id], state: 'uploading', patch: { batchId } }]);
      await ctx.store.setFileState(f, [c.id], 'ingested');

      const page = (afterId: number) => ctx.store.pendingFilesOfRun(run.id, { afterId, limit: 2 });
      expect(await page(0)).toEqual([a, d].map((x) => ({ ...x, updatedAt: expect.any(Date) })));
      expect(await page(d.id)).toEqual([{ ...e, updatedAt: expect.any(Date) }]);
      expect(await page(e.id)).toEqual([]);
      await expect(ctx.store.pendingFilesOfRun(run.id, { afterId: 0, limit: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT' });
    });

    it('accepts an empty list and refuses an unknown run', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      expect(await ctx.store.addPending(f, run.id, [])).toEqual([]);
      await expect(ctx.store.addPending(f, uid('missing'), [{ ...version('a.csv'), supersedes: null }])).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
    });

    it('refuses to take a version from a stale read of the ledger, and records none of that call', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const [a1] = await take(run, [version('a.csv', 1)]);
      await ctx.store.setFileState(f, [a1.id], 'error', { error: 'interrupted' });
      // Two readers saw a1 as the newest entry of a.csv; the first to write wins.
      const first = await ctx.store.addPending(f, run.id, [{ ...version('a.csv', 1), supersedes: a1.id }]);
      await ctx.store.setFileState(f, ids(first), 'ingested');
      const second = ctx.store.addPending(f, run.id, [
        { ...version('b.csv', 1), supersedes: null },
        { ...version('a.csv', 1), supersedes: a1.id },
      ]);
      await expect(second).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      // A reader that never saw a.csv at all is refused too.
      await expect(ctx.store.addPending(f, run.id, [{ ...version('a.csv', 1), supersedes: null }])).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      expect((await ctx.store.filesOfRun(run.id)).map((e) => [e.path, e.state])).toEqual([
        ['a.csv', 'error'],
        ['a.csv', 'ingested'],
      ]);
    });

    it('keeps at most one version of a path in flight', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const [a1] = await take(run, [version('a.csv', 1)]);
      await expect(ctx.store.addPending(f, run.id, [{ ...version('a.csv', 2), supersedes: a1.id }])).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      await ctx.store.setFileState(f, [a1.id], 'ingested');
      const [a2] = await ctx.store.addPending(f, run.id, [{ ...version('a.csv', 2), supersedes: a1.id }]);
      expect(a2).toMatchObject({ path: 'a.csv', state: 'pending', fingerprint: version('a.csv', 2).fingerprint });
    });

    it('answers the newest version per path, whatever its state, and ignores other dataflows', async () => {
      const dataflow = uid('df');
      const neighbour = uid('df');
      const first = await newRun(dataflow);
      const f = await fence(dataflow);
      const [a1, b1] = await take(first, [version('a.csv', 1), version('b.csv', 1)]);
      await ctx.store.setFileState(f, [a1.id, b1.id], 'ingested');
      const second = await newRun(dataflow);
      const [a2] = await take(second, [version('a.csv', 2)]);
      await ctx.store.setFileState(f, [a2.id], 'failed', { error: 'bad rows' });
      const other = await newRun(neighbour);
      const [n9] = await take(other, [version('a.csv', 9), version('c.csv', 9)]);

      const latest = await ctx.store.latestVersions(dataflow, ['a.csv', 'b.csv', 'c.csv', 'a.csv']);
      expect([...latest.keys()].sort()).toEqual(['a.csv', 'b.csv']);
      expect(latest.get('a.csv')).toMatchObject({ id: a2.id, fingerprint: a2.fingerprint, state: 'failed', error: 'bad rows' });
      expect(latest.get('b.csv')).toMatchObject({ id: b1.id, state: 'ingested', runId: first.id });
      expect((await ctx.store.latestVersions(neighbour, ['a.csv'])).get('a.csv')).toEqual(n9);
      expect((await ctx.store.latestVersions(dataflow, [])).size).toBe(0);
      expect((await ctx.store.latestVersions(uid('df'), ['a.csv'])).size).toBe(0);
    });

    it('looks up 2500 paths in one call', async () => {
      const dataflow = uid('df');
      const run = await newRun(dataflow);
      const paths = Array.from({ length: 2500 }, (_, i) => `in/2024/${String(i).padStart(5, '0')} "q" ü.json`);
      const older = await take(run, paths.map((p) => version(p, 1)));
      await ctx.store.setFileState(await fence(dataflow), ids(older), 'ingested');
      const newer = await take(run, paths.filter((_, i) => i % 2 === 0).map((p) => version(p, 2)));

      const latest = await ctx.store.latestVersions(dataflow, [...paths, 'not/there.json']);
      expect(latest.size).toBe(2500);
      paths.forEach((p, i) => expect(latest.get(p)?.fingerprint).toBe(version(p, i % 2 === 0 ? 2 : 1).fingerprint));
      expect(latest.get(paths[0])).toEqual(newer[0]);
    });

    it('moves files through their states, patching only what is given', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: 'x' });
      const files = await take(run, [version('a.csv'), version('b.csv'), version('c.csv')]);
      const [a, b, c] = files;
      const state = async (id: number) => (await ctx.store.filesOfRun(run.id)).find((e) => e.id === id)!;

      await ctx.store.setFileState(f, ids(files), 'uploading', { batchId: batch.id });
      expect(ids(await ctx.store.filesOfBatch(batch.id))).toEqual(ids(files));
      await ctx.store.setFileState(f, [a.id, b.id], 'completing');
      await ctx.store.setFileState(f, [a.id], 'ingested', { records: 42 });
      await ctx.store.setFileState(f, [b.id], 'failed', { records: 0, error: 'schema mismatch' });
      await ctx.store.setFileState(f, [c.id], 'vanished', { batchId: null });

      expect(await state(a.id)).toMatchObject({ state: 'ingested', batchId: batch.id, records: 42, error: null });
      expect(await state(b.id)).toMatchObject({ state: 'failed', batchId: batch.id, records: 0, error: 'schema mismatch' });
      expect(await state(c.id)).toMatchObject({ state: 'vanished', batchId: null, records: null });
      expect((await state(a.id)).updatedAt.getTime()).toBeGreaterThanOrEqual(a.createdAt.getTime());
      expect(ids(await ctx.store.filesOfBatch(batch.id))).toEqual([a.id, b.id]);
      expect(await ctx.store.filesOfBatch(uid('missing'))).toEqual([]);

      await ctx.store.setFileState(f, [b.id], 'failed', { error: null });
      expect(await state(b.id)).toMatchObject({ state: 'failed', records: 0, error: null });
      await ctx.store.setFileState(f, [], 'error');
    });

    it('changes nothing when an id or a batch does not exist', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const [a] = await take(run, [version('a.csv')]);
      await expect(ctx.store.setFileState(f, [a.id, 2 ** 40], 'ingested')).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
      await expect(ctx.store.setFileState(f, [a.id], 'uploading', { batchId: uid('missing') })).rejects.toMatchObject({
        code: 'ERR_STORE_NOT_FOUND',
      });
      expect(await ctx.store.filesOfRun(run.id)).toEqual([a]);
    });

    it('finds a dataflow’s unsettled files: pending, uploading and completing', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const neighbour = await newRun();
      await take(neighbour, [version('other.csv')]);
      const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: 'x' });
      const states: FileState[] = ['pending', 'uploading', 'completing', 'ingested', 'failed', 'error', 'vanished'];
      const files = await take(run, states.map((s) => version(`${s}.csv`)));
      for (const [i, s] of states.entries()) {
        if (s !== 'pending') await ctx.store.setFileState(f, [files[i].id], s, { batchId: batch.id });
      }
      const mine = await ctx.store.unsettledFiles(run.dataflow);
      expect(mine.map((e) => e.state)).toEqual(['pending', 'uploading', 'completing']);
      expect(ids(mine)).toEqual(ids(files.slice(0, 3)));
      expect(await ctx.store.dataflowsToSettle()).toEqual(expect.arrayContaining([run.dataflow, neighbour.dataflow]));
    });

    it('takes 100k versions in one call (scale check)', async () => {
      const dataflow = uid('df');
      const run = await newRun(dataflow);
      const files = Array.from({ length: 100_000 }, (_, i) => version(`bulk/${i % 100}/file-${i}.csv`, 1 + (i % 7)));
      const entries: LedgerEntry[] = await take(run, files);
      expect(entries).toHaveLength(100_000);
      expect(new Set(ids(entries)).size).toBe(100_000);

      const sample = files.slice(40_000, 41_000).map((f) => f.path);
      const latest = await ctx.store.latestVersions(dataflow, sample);
      expect(latest.size).toBe(1000);
      expect(latest.get(sample[0])).toEqual(entries[40_000]);
      expect((await ctx.store.filesOfRun(run.id)).length).toBe(100_000);

      // Settled in one call, so that a database reused by later runs is not left with 100k unsettled rows.
      await ctx.store.setFileState(await fence(dataflow), ids(entries), 'ingested', { records: 1 });
      expect(await ctx.store.unsettledFiles(dataflow)).toEqual([]);
    });
  });
}
