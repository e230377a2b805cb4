import type { SuiteContext } from './store-suite-context';

/** How a dataflow's ledger began (state migration 6), and a ledger rebuilt from Platform's batches in one transaction. */
export function ledgerMarksSuite(ctx: SuiteContext): void {
  const { uid, newRun, fence, version, take } = ctx;

  describe('ledger marks and rebuild', () => {
    it('says whether a dataflow’s ledger is empty, and keeps its latest mark', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      expect(await ctx.store.ledgerIsEmpty(run.dataflow)).toBe(true);
      expect(await ctx.store.ledgerMark(run.dataflow)).toBeUndefined();
      await ctx.store.markLedger(f, { how: 'checked', detail: 'no batch in Catalog', at: new Date(1_700_000_000_001) });
      await ctx.store.markLedger(f, { how: 'accepted_empty', detail: null, at: new Date(1_700_000_000_002) });
      expect(await ctx.store.ledgerMark(run.dataflow)).toEqual({ how: 'accepted_empty', detail: null, at: new Date(1_700_000_000_002) });
      await take(run, [version('a.json')]);
      expect(await ctx.store.ledgerIsEmpty(run.dataflow)).toBe(false);
      expect(await ctx.store.ledgerIsEmpty(uid('df'))).toBe(true);
    });

    it('answers the newest ingested version of each path, past newer versions that did not get in', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: uid('ext') });
      const [a1, b1] = await take(run, [version('a.json', 1), version('b.json', 1)]);
      await ctx.store.setFileState(f, [a1.id, b1.id], 'ingested', { batchId: batch.id });
      const [a2] = await take(run, [version('a.json', 2)]);
      await ctx.store.setFileState(f, [a2.id], 'failed', { error: 'rejected' });
      const [b2] = await take(run, [version('b.json', 2)]);
      await ctx.store.setFileState(f, [b2.id], 'ingested', { batchId: batch.id });
      await take(run, [version('c.json', 1)]);
      const found = await ctx.store.ingestedVersions(run.dataflow, ['a.json', 'b.json', 'c.json', 'd.json']);
      expect([...found.keys()].sort()).toEqual(['a.json', 'b.json']);
      expect(found.get('a.json')).toMatchObject({ id: a1.id, fingerprint: version('a.json', 1).fingerprint, batchId: batch.id });
      expect(found.get('b.json')).toMatchObject({ id: b2.id });
      expect((await ctx.store.ingestedVersions(run.dataflow, [])).size).toBe(0);
    });

    it('imports Platform’s batches and their files as ingested, with the mark, all or nothing', async () => {
      const run = await newRun(undefined, undefined, 'rebuild');
      const f = await fence(run.dataflow);
      const b1 = uid('batch');
      const b2 = uid('batch');
      const batches = [b1, b2].map((id, i) => ({ id, dataset: 'ds', externalId: `dataflowd:${run.dataflow}:r:${i}`, platformStatus: 'success', recordsIn: 3, recordsOut: 3, recordsFailed: 0 }));
      const mark = { how: 'rebuilt' as const, detail: '2 batches', at: new Date(1_700_000_000_003) };
      await ctx.store.importLedger(f, run.id, batches, [
        { ...version('in/a.json'), batchId: b1 },
        { ...version('in/b.json'), batchId: b2 },
      ], mark);
      const latest = await ctx.store.latestVersions(run.dataflow, ['in/a.json', 'in/b.json']);
      expect(latest.get('in/a.json')).toMatchObject({ ...version('in/a.json'), state: 'ingested', batchId: b1, runId: run.id });
      expect(latest.get('in/b.json')).toMatchObject({ state: 'ingested', batchId: b2 });
      expect(await ctx.store.getBatch(b1)).toMatchObject({ state: 'succeeded', platformStatus: 'success', dataflow: run.dataflow, recordsOut: 3 });
      expect(await ctx.store.ledgerMark(run.dataflow)).toEqual(mark);
      // A second import of a path the ledger has is refused whole: no batch, no file, no new mark.
      const b3 = uid('batch');
      await expect(
        ctx.store.importLedger(f, run.id, [{ ...batches[0], id: b3, externalId: 'x' }], [{ ...version('in/c.json'), batchId: b3 }, { ...version('in/a.json', 2), batchId: b3 }], { ...mark, detail: 'again' }),
      ).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      expect(await ctx.store.getBatch(b3)).toBeUndefined();
      expect((await ctx.store.latestVersions(run.dataflow, ['in/c.json'])).size).toBe(0);
      expect(await ctx.store.ledgerMark(run.dataflow)).toEqual(mark);
    });
  });
}
