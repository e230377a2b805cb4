import type { Fence, LeaseAnswer, Store } from '../../src/store/types';
import { FakeClock } from '../support/fake-clock';
import type { SuiteContext } from './store-suite-context';

function granted(answer: LeaseAnswer): Fence & { answer: Extract<LeaseAnswer, { granted: true }> } {
  if (!answer.granted) throw new Error(`lease not granted: held by ${answer.holder.processId}`);
  return { dataflow: answer.lease.dataflow, token: answer.lease.token, answer };
}

/** The leases half of the store suite: who works on what, fencing tokens and tick claims. */
export function leasesSuite(ctx: SuiteContext): void {
  const { uid, version } = ctx;

  describe('leases', () => {
    let clock: FakeClock;
    let store: Store;

    beforeAll(async () => {
      clock = new FakeClock('2030-01-01T00:00:00.000Z');
      store = await ctx.open({ clock });
    });

    it('grants a free lease, and refuses it to anyone while it is held', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const first = granted(await store.acquireLease(dataflow, a, { ttlMs: 30_000 }));
      expect(first.answer.lease).toEqual({
        dataflow,
        token: 1,
        ...a,
        acquiredAt: clock.now(),
        heartbeatAt: clock.now(),
        expiresAt: new Date(clock.now().getTime() + 30_000),
        releasedAt: null,
      });
      expect(first.answer.previous).toBeUndefined();
      const refused = await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 30_000 });
      expect(refused).toEqual({ granted: false, holder: first.answer.lease });
      // Its own holder asking again is refused too: one run of a dataflow at a time, in one process as in many.
      expect((await store.acquireLease(dataflow, a, { ttlMs: 30_000 })).granted).toBe(false);
      expect(await store.getLease(dataflow)).toEqual(first.answer.lease);
      expect(await store.getLease(uid('df'))).toBeUndefined();
      expect((await store.listLeases()).find((l) => l.dataflow === dataflow)).toEqual(first.answer.lease);
    });

    it('renews only for the holder of the current token', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const fence = granted(await store.acquireLease(dataflow, a, { ttlMs: 10_000 }));
      await clock.advance(8_000);
      expect(await store.renewLease(fence, a.processId, 10_000)).toBe(true);
      expect(await store.getLease(dataflow)).toMatchObject({ heartbeatAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 10_000) });
      await clock.advance(8_000);
      expect((await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 10_000 })).granted).toBe(false);
      expect(await store.renewLease(fence, 'someone-else', 10_000)).toBe(false);
      expect(await store.renewLease({ dataflow, token: fence.token + 1 }, a.processId, 10_000)).toBe(false);
    });

    it('passes a released lease on with a greater token, naming the previous holder', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const b = ctx.owner();
      const fa = granted(await store.acquireLease(dataflow, a, { ttlMs: 60_000 }));
      await store.releaseLease(fa, a.processId);
      expect(await store.getLease(dataflow)).toMatchObject({ releasedAt: clock.now(), processId: a.processId });
      expect(await store.renewLease(fa, a.processId, 60_000)).toBe(false);
      const fb = granted(await store.acquireLease(dataflow, b, { ttlMs: 60_000 }));
      expect(fb.token).toBe(fa.token + 1);
      expect(fb.answer.previous).toMatchObject({ processId: a.processId, token: fa.token, releasedAt: expect.any(Date) });
    });

    it('takes over a lease its holder let expire; the holder’s token is stale from then on', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const b = ctx.owner();
      const fa = granted(await store.acquireLease(dataflow, a, { ttlMs: 5_000 }));
      await clock.advance(5_000);
      const fb = granted(await store.acquireLease(dataflow, b, { ttlMs: 5_000 }));
      expect(fb.token).toBe(fa.token + 1);
      expect(fb.answer.previous).toMatchObject({ processId: a.processId, releasedAt: null });
      expect(await store.renewLease(fa, a.processId, 5_000)).toBe(false);
      await store.releaseLease(fa, a.processId);
      expect(await store.getLease(dataflow)).toMatchObject({ processId: b.processId, releasedAt: null });
    });

    it('takes over a live lease only from the holder named as dead', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      granted(await store.acquireLease(dataflow, a, { ttlMs: 60_000 }));
      expect((await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000, takeOverFrom: 'not-the-holder' })).granted).toBe(false);
      const fb = granted(await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000, takeOverFrom: a.processId }));
      expect(fb.answer.previous?.processId).toBe(a.processId);
    });

    it('refuses every write made with a stale token, and changes nothing', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const fa = granted(await store.acquireLease(dataflow, a, { ttlMs: 1_000 }));
      const run = await store.createRun({ id: uid('run'), dataflow, trigger: 'schedule', startedAt: clock.now(), owner: a }, fa);
      const [file] = await store.addPending(fa, run.id, [{ ...version('a.json'), supersedes: null }]);
      const batch = await store.createBatch(fa, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: uid('ext') });
      await clock.advance(1_000);
      granted(await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000 }));

      const lost = { code: 'ERR_LEASE_LOST', message: expect.stringContaining('no longer holds its lease') };
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['createRun', () => store.createRun({ id: uid('run'), dataflow, trigger: 'schedule', startedAt: clock.now() }, fa)],
        ['finishRun', () => store.finishRun(run.id, { status: 'succeeded', finishedAt: clock.now() }, fa)],
        ['addPending', () => store.addPending(fa, run.id, [{ ...version('b.json'), supersedes: null }])],
        ['setFileState', () => store.setFileState(fa, [file.id], 'ingested')],
        ['createBatch', () => store.createBatch(fa, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: uid('ext') })],
        ['updateBatch', () => store.updateBatch(fa, batch.id, { state: 'completing' }, [{ ids: [file.id], state: 'completing' }])],
        ['addRowErrors', () => store.addRowErrors(fa, [{ runId: run.id, batchId: null, fileId: null, file: 'a.json', rowNumber: 1, lineNumber: 1, column: null, field: null, code: 'c', message: 'm' }])],
        ['addBatchIntent', () => store.addBatchIntent(fa, run.id, uid('ext'))],
        ['oweAfterIngest', () => store.oweAfterIngest(fa, batch.id)],
        ['paidAfterIngest', () => store.paidAfterIngest(fa, [batch.id])],
        ['recordSeen', () => store.recordSeen(fa, 'a.json', { fingerprint: 'x', seenAt: clock.now() })],
        ['markBackfillFrom', () => store.markBackfillFrom(fa, clock.now())],
        ['recordOnceRun', () => store.recordOnceRun(fa, { hash: 'h', runId: run.id, at: clock.now() })],
      ];
      for (const [name, write] of writes) await expect(write().then(() => name)).rejects.toMatchObject(lost);

      expect(await store.getRun(run.id)).toMatchObject({ status: 'running' });
      expect(await store.filesOfRun(run.id)).toMatchObject([{ state: 'pending' }]);
      expect(await store.getBatch(batch.id)).toMatchObject({ state: 'uploading' });
      expect(await store.batchIntents(run.id)).toEqual([]);
      expect(await store.owedAfterIngest(dataflow)).toEqual([]);
      expect(await store.seenVersion(dataflow, 'a.json')).toBeUndefined();
      expect(await store.backfillFrom(dataflow)).toBeUndefined();
      expect(await store.onceRun(dataflow)).toBeUndefined();
    });

    it('refuses writes after the holder released the lease', async () => {
      const dataflow = uid('df');
      const a = ctx.owner();
      const fa = granted(await store.acquireLease(dataflow, a, { ttlMs: 60_000 }));
      await store.releaseLease(fa, a.processId);
      await expect(store.markBackfillFrom(fa, clock.now())).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' });
    });

    it('grants a lease to exactly one of many processes asking at once', async () => {
      const dataflow = uid('df');
      const stores = await Promise.all(Array.from({ length: 6 }, () => ctx.open()));
      const answers = await Promise.all(stores.map((s) => s.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000 })));
      expect(answers.filter((x) => x.granted)).toHaveLength(1);
      const holder = answers.find((x) => x.granted);
      for (const x of answers.filter((y) => !y.granted)) expect(x).toEqual({ granted: false, holder: holder?.granted && holder.lease });
    });

    it('gives each scheduled tick to exactly one claimer', async () => {
      const dataflow = uid('df');
      const due = new Date('2030-01-01T00:01:00.000Z');
      const stores = await Promise.all(Array.from({ length: 6 }, () => ctx.open()));
      const claims = await Promise.all(stores.map((s, i) => s.claimTick(dataflow, due, `replica-${i}`)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimTick(dataflow, due, 'late')).toBe(false);
      expect(await store.claimTick(dataflow, new Date(due.getTime() + 60_000), 'late')).toBe(true);
      expect(await store.claimTick(uid('df'), due, 'late')).toBe(true);
    });

    it('claims a tick again after the clock was stepped back past its claim, and only then', async () => {
      const dataflow = uid('df');
      const due = new Date('2030-06-01T12:00:00.000Z');
      const ahead = await ctx.open({ clock: new FakeClock('2030-06-01T12:00:00.500Z') });
      expect(await ahead.claimTick(dataflow, due, 'before-the-step')).toBe(true);
      // Another replica's clock a few seconds behind: the same tick, already claimed.
      const skewed = await ctx.open({ clock: new FakeClock('2030-06-01T11:59:58.000Z') });
      expect(await skewed.claimTick(dataflow, due, 'skewed')).toBe(false);
      // The clock stepped back a day: the tick comes round again and must run again, once.
      const stepped = await ctx.open({ clock: new FakeClock('2030-05-31T12:00:00.400Z') });
      expect(await stepped.claimTick(dataflow, due, 'after-the-step-1')).toBe(true);
      expect(await stepped.claimTick(dataflow, due, 'after-the-step-2')).toBe(false);
    });
  });
}
