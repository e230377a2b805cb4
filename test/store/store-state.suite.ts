import type { SuiteContext } from './store-suite-context';

/** The typed state of a dataflow beside the ledger (what lived in meta keys before state migration 4). */
export function stateSuite(ctx: SuiteContext): void {
  const { uid, newRun, fence } = ctx;

  describe('typed state', () => {
    it('keeps a run’s batch intents in the order written, once each', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const ext = (n: number) => `dataflowd:${run.dataflow}:${run.id}:${n}`;
      for (const n of [0, 1, 2, 10, 1]) await ctx.store.addBatchIntent(f, run.id, ext(n));
      expect(await ctx.store.batchIntents(run.id)).toEqual([ext(0), ext(1), ext(2), ext(10)]);
      expect(await ctx.store.batchIntents(uid('run'))).toEqual([]);
      await expect(ctx.store.addBatchIntent(f, uid('missing'), uid('ext'))).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
    });

    it('keeps what afterIngest owes per dataflow until it is paid', async () => {
      const run = await newRun();
      const f = await fence(run.dataflow);
      const batch = (n: number) => ctx.store.createBatch(f, { id: uid(`batch-${n}`), runId: run.id, dataset: 'ds', externalId: uid('ext') });
      const [b1, b2, b3] = [await batch(1), await batch(2), await batch(3)];
      for (const b of [b1, b2, b3, b2]) await ctx.store.oweAfterIngest(f, b.id);
      expect((await ctx.store.owedAfterIngest(run.dataflow)).sort()).toEqual([b1.id, b2.id, b3.id].sort());
      await ctx.store.paidAfterIngest(f, [b1.id, b3.id, uid('unknown')]);
      expect(await ctx.store.owedAfterIngest(run.dataflow)).toEqual([b2.id]);
      await ctx.store.paidAfterIngest(f, []);
      expect(await ctx.store.owedAfterIngest(uid('df'))).toEqual([]);
      await expect(ctx.store.oweAfterIngest(f, uid('missing'))).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
    });

    it('remembers the last version seen of a young file, per dataflow and path', async () => {
      const dataflow = uid('df');
      const f = await fence(dataflow);
      const path = 'in/2024: "odd" ü.json';
      expect(await ctx.store.seenVersion(dataflow, path)).toBeUndefined();
      await ctx.store.recordSeen(f, path, { fingerprint: '10:1', seenAt: new Date(1_700_000_000_001) });
      await ctx.store.recordSeen(f, path, { fingerprint: '20:2', seenAt: new Date(1_700_000_000_002) });
      expect(await ctx.store.seenVersion(dataflow, path)).toEqual({ fingerprint: '20:2', seenAt: new Date(1_700_000_000_002) });
      expect(await ctx.store.seenVersion(uid('df'), path)).toBeUndefined();
    });

    it('sets the backfill mark once and keeps the first', async () => {
      const dataflow = uid('df');
      const f = await fence(dataflow);
      expect(await ctx.store.backfillFrom(dataflow)).toBeUndefined();
      const first = new Date('2026-01-02T03:04:05.678Z');
      expect(await ctx.store.markBackfillFrom(f, first)).toEqual(first);
      expect(await ctx.store.markBackfillFrom(f, new Date('2027-01-01T00:00:00.000Z'))).toEqual(first);
      expect(await ctx.store.backfillFrom(dataflow)).toEqual(first);
    });

    it('records which definition of a once dataflow ran, and in which run', async () => {
      const dataflow = uid('df');
      const f = await fence(dataflow);
      expect(await ctx.store.onceRun(dataflow)).toBeUndefined();
      await ctx.store.recordOnceRun(f, { hash: 'h1', runId: 'r1', at: new Date(1_700_000_000_500) });
      await ctx.store.recordOnceRun(f, { hash: 'h2', runId: 'r2', at: new Date(1_700_000_001_500) });
      expect(await ctx.store.onceRun(dataflow)).toEqual({ hash: 'h2', runId: 'r2', at: new Date(1_700_000_001_500) });
    });
  });
}
