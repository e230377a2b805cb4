import { redactor } from '../../src/lib/redact';
import { leasesSuite } from './store-leases.suite';
import { ledgerMarksSuite } from './store-ledger-marks.suite';
import { outboxSuite } from './store-outbox.suite';
import { ledgerSuite } from './store-ledger.suite';
import { rowErrorsSuite } from './store-row-errors.suite';
import { stateSuite } from './store-state.suite';
import { MakeStore, suiteContext } from './store-suite-context';

/**
 * The one store suite (STYLE.md rule 12): every Store implementation runs it unchanged.
 *
 * `makeStore` opens a new Store on the suite's one database: every call reaches the same data, so
 * the suite can close and reopen, or hold two stores at once (as replicas do). The database may
 * hold rows from earlier tests or runs, so each test uses its own dataflow names and ids and
 * filters global answers (unsettled, running) down to its own rows.
 */
export function storeSuite(name: string, makeStore: MakeStore): void {
  describe(`Store conformance: ${name}`, () => {
    const ctx = suiteContext(makeStore);
    const { open, uid, newRun, version, take, fence } = ctx;

    describe('lifecycle', () => {
      it('migrates idempotently and answers ping', async () => {
        await ctx.store.migrate();
        await ctx.store.migrate();
        await expect(ctx.store.ping()).resolves.toBeUndefined();
      });

      it('keeps everything across close and reopen', async () => {
        const first = await open();
        const dataflow = uid('df');
        const lease = await first.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000 });
        if (!lease.granted) throw new Error('lease not granted');
        const f = { dataflow, token: lease.lease.token };
        const run = await first.createRun({ id: uid('run'), dataflow, trigger: 'manual', startedAt: new Date() }, f);
        const batch = await first.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: 'x' });
        const files = await first.addPending(f, run.id, [version('a.csv'), version('b.csv')].map((v) => ({ ...v, supersedes: null })));
        await first.recordOnceRun(f, { hash: 'h', runId: run.id, at: new Date(1_700_000_000_123) });
        await first.close();

        const again = await open();
        await again.migrate();
        expect(await again.getRun(run.id)).toEqual(run);
        expect(await again.getBatch(batch.id)).toEqual(batch);
        expect(await again.filesOfRun(run.id)).toEqual(files);
        expect(await again.onceRun(dataflow)).toEqual({ hash: 'h', runId: run.id, at: new Date(1_700_000_000_123) });
        expect(await again.getLease(dataflow)).toEqual(lease.lease);
      });

      it('lets two open stores see each other’s commits', async () => {
        const other = await open();
        const run = await newRun();
        expect(await other.getRun(run.id)).toEqual(run);
        await other.recordSeen(await fence(run.dataflow), 'a.json', { fingerprint: 'fp', seenAt: new Date(1_700_000_000_000) });
        expect(await ctx.store.seenVersion(run.dataflow, 'a.json')).toEqual({ fingerprint: 'fp', seenAt: new Date(1_700_000_000_000) });
      });

      it('closes idempotently and refuses work afterwards', async () => {
        const s = await open();
        await s.close();
        await s.close();
        await expect(s.ping()).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
        await expect(s.onceRun('x')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
      });
    });

    describe('runs', () => {
      it('creates a running run with zero counts', async () => {
        const startedAt = new Date('2024-03-04T05:06:07.089Z');
        const run = await ctx.store.createRun({ id: uid('run'), dataflow: 'luma', trigger: 'once', startedAt });
        expect(run).toEqual({
          owner: null,
          id: run.id,
          dataflow: 'luma',
          trigger: 'once',
          status: 'running',
          startedAt,
          finishedAt: null,
          filesTaken: 0,
          filesIngested: 0,
          filesFailed: 0,
          filesRefused: 0,
          recordsIn: 0,
          recordsOut: 0,
          recordsFailed: 0,
          bytes: 0,
          batchIds: [],
          error: null,
          errorKind: null,
          errorCode: null,
        });
        expect(await ctx.store.getRun(run.id)).toEqual(run);
        expect(await ctx.store.getRun(uid('missing'))).toBeUndefined();
      });

      it('keeps the process that ran a run', async () => {
        const owner = ctx.owner();
        const run = await ctx.store.createRun({ id: uid('run'), dataflow: uid('df'), trigger: 'api', startedAt: new Date(), owner });
        expect(run.owner).toEqual(owner);
        expect(await ctx.store.getRun(run.id)).toEqual(run);
      });

      it('refuses a run id that is already taken', async () => {
        const run = await newRun();
        const again = ctx.store.createRun({ id: run.id, dataflow: 'other', trigger: 'api', startedAt: new Date() });
        await expect(again).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
        expect(await ctx.store.getRun(run.id)).toEqual(run);
      });

      it('finishes a run, returning the updated record; omitted fields keep their values', async () => {
        const run = await newRun();
        const finishedAt = new Date(run.startedAt.getTime() + 61_000);
        const counts = { filesTaken: 3, filesIngested: 2, filesFailed: 1, recordsIn: 10, recordsOut: 9, recordsFailed: 1, bytes: 6_000_000_000 };
        const finished = await ctx.store.finishRun(run.id, {
          ...counts,
          status: 'partially_succeeded',
          finishedAt,
          batchIds: ['b1', 'b2'],
          error: 'row errors in b2',
          errorKind: 'platform',
          errorCode: '101',
        });
        expect(finished).toEqual({ ...run, ...counts, status: 'partially_succeeded', finishedAt, batchIds: ['b1', 'b2'], error: 'row errors in b2', errorKind: 'platform', errorCode: '101' });
        expect(await ctx.store.getRun(run.id)).toEqual(finished);

        const later = new Date(finishedAt.getTime() + 1000);
        const again = await ctx.store.finishRun(run.id, { status: 'failed', finishedAt: later, filesFailed: 3, error: null, errorKind: null, errorCode: null });
        expect(again).toEqual({ ...finished, status: 'failed', finishedAt: later, filesFailed: 3, error: null, errorKind: null, errorCode: null });
      });

      it('refuses to finish an unknown run', async () => {
        await expect(ctx.store.finishRun(uid('missing'), { status: 'failed', finishedAt: new Date() })).rejects.toMatchObject({
          code: 'ERR_STORE_NOT_FOUND',
        });
      });

      it('lists a dataflow’s runs newest first, 20 by default, or up to limit', async () => {
        const dataflow = uid('df');
        const base = Date.UTC(2024, 0, 1);
        const created = [];
        for (let i = 0; i < 25; i++) created.push(await newRun(dataflow, new Date(base + ((i * 7) % 25) * 60_000)));
        await newRun(uid('df'), new Date(base + 10 * 60_000));
        const newestFirst = [...created].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());

        expect(await ctx.store.listRuns({ dataflow })).toEqual(newestFirst.slice(0, 20));
        expect(await ctx.store.listRuns({ dataflow, limit: 5 })).toEqual(newestFirst.slice(0, 5));
        expect(await ctx.store.listRuns({ dataflow, limit: 100 })).toEqual(newestFirst);
        expect(await ctx.store.listRuns({ dataflow: uid('none') })).toEqual([]);
      });

      it('lists runs of every dataflow newest first', async () => {
        // Later than any run an earlier execution of this suite could have left behind.
        const base = Date.now() + 500 * 365 * 86_400_000;
        const a = await newRun(uid('df'), new Date(base + 1));
        const b = await newRun(uid('df'), new Date(base + 3));
        const c = await newRun(a.dataflow, new Date(base + 2));
        expect(await ctx.store.listRuns({ limit: 3 })).toEqual([b, c, a]);
        expect((await ctx.store.listRuns({})).length).toBeLessThanOrEqual(20);
      });

      it('refuses a limit that is not a positive integer', async () => {
        await expect(ctx.store.listRuns({ limit: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT' });
        await expect(ctx.store.listRuns({ limit: 1.5 })).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT' });
      });

      it('finds runs left running', async () => {
        const dataflow = uid('df');
        const left = await newRun(dataflow);
        const done = await newRun(dataflow);
        await ctx.store.finishRun(done.id, { status: 'succeeded', finishedAt: new Date() });
        await newRun();
        expect(await ctx.store.runningRuns(dataflow)).toEqual([left]);
      });

      it('writes a run already over in one step, never seen running (a skipped tick)', async () => {
        const dataflow = uid('df');
        const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
        const run = await ctx.store.createRun({
          id: uid('run'),
          dataflow,
          trigger: 'schedule',
          startedAt: at,
          finished: { status: 'skipped', finishedAt: at, error: 'running in pid 1', errorKind: 'transient', errorCode: 'ERR_DATAFLOW_BUSY' },
        });
        expect(run).toMatchObject({ status: 'skipped', finishedAt: at, error: 'running in pid 1', errorCode: 'ERR_DATAFLOW_BUSY' });
        expect(await ctx.store.getRun(run.id)).toEqual(run);
        expect(await ctx.store.runningRuns(dataflow)).toEqual([]);
      });
    });

    describe('batches', () => {
      it('creates a batch as uploading, updates it field by field, and lists it', async () => {
        const run = await newRun();
        const f = await fence(run.dataflow);
        const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds-1', externalId: 'ext-1' });
        expect(batch).toMatchObject({
          runId: run.id,
          dataflow: run.dataflow,
          dataset: 'ds-1',
          externalId: 'ext-1',
          state: 'uploading',
          platformStatus: null,
          recordsIn: null,
          recordsOut: null,
          recordsFailed: null,
          error: null,
        });
        expect(batch.createdAt).toBeInstanceOf(Date);
        expect(await ctx.store.getBatch(batch.id)).toEqual(batch);

        await ctx.store.updateBatch(f, batch.id, { state: 'completing' });
        await ctx.store.updateBatch(f, batch.id, { state: 'succeeded', platformStatus: 'success', recordsIn: 10, recordsOut: 8, recordsFailed: 2 });
        const updated = await ctx.store.getBatch(batch.id);
        expect(updated).toEqual({
          ...batch,
          state: 'succeeded',
          platformStatus: 'success',
          recordsIn: 10,
          recordsOut: 8,
          recordsFailed: 2,
          updatedAt: updated?.updatedAt,
        });
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(batch.updatedAt.getTime());

        await ctx.store.updateBatch(f, batch.id, { error: 'late note' });
        expect(await ctx.store.getBatch(batch.id)).toMatchObject({ state: 'succeeded', recordsOut: 8, error: 'late note' });
        await ctx.store.updateBatch(f, batch.id, { error: null });
        expect(await ctx.store.getBatch(batch.id)).toMatchObject({ error: null });
      });

      it('refuses unknown runs and unknown batches', async () => {
        const run = await newRun();
        const f = await fence(run.dataflow);
        await expect(ctx.store.createBatch(f, { id: uid('batch'), runId: uid('missing'), dataset: 'ds', externalId: 'x' })).rejects.toMatchObject({
          code: 'ERR_STORE_NOT_FOUND',
        });
        await expect(ctx.store.updateBatch(f, uid('missing'), { state: 'failed' })).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
        expect(await ctx.store.getBatch(uid('missing'))).toBeUndefined();
        const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: 'x' });
        await expect(ctx.store.createBatch(f, { id: batch.id, runId: run.id, dataset: 'ds', externalId: 'y' })).rejects.toMatchObject({
          code: 'ERR_STORE_CONFLICT',
        });
      });

      it('moves a batch and its files in one transaction: all of it, or nothing', async () => {
        const run = await newRun();
        const f = await fence(run.dataflow);
        const [a, b] = await take(run, [version('a.json'), version('b.json')]);
        const id = uid('batch');
        const batch = await ctx.store.createBatch(f, { id, runId: run.id, dataset: 'ds', externalId: uid('ext') }, [
          { ids: [a.id, b.id], state: 'uploading', patch: { batchId: id } },
        ]);
        expect(await ctx.store.filesOfBatch(batch.id)).toMatchObject([{ state: 'uploading' }, { state: 'uploading' }]);

        await ctx.store.updateBatch(f, batch.id, { state: 'succeeded', recordsOut: 3 }, [
          { ids: [a.id], state: 'ingested', patch: { records: 1 } },
          { ids: [b.id], state: 'ingested', patch: { records: 2 } },
        ]);
        expect((await ctx.store.filesOfBatch(batch.id)).map((f) => [f.state, f.records])).toEqual([
          ['ingested', 1],
          ['ingested', 2],
        ]);

        // A move naming an unknown file rolls back the batch change and the moves before it.
        await expect(
          ctx.store.updateBatch(f, batch.id, { state: 'failed' }, [
            { ids: [a.id], state: 'failed' },
            { ids: [a.id + 1_000_000], state: 'failed' },
          ]),
        ).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
        expect(await ctx.store.getBatch(batch.id)).toMatchObject({ state: 'succeeded', recordsOut: 3 });
        expect((await ctx.store.filesOfBatch(batch.id)).map((f) => f.state)).toEqual(['ingested', 'ingested']);

        const lost = uid('batch');
        await expect(
          ctx.store.createBatch(f, { id: lost, runId: run.id, dataset: 'ds', externalId: uid('ext') }, [{ ids: [a.id + 1_000_000], state: 'uploading' }]),
        ).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
        expect(await ctx.store.getBatch(lost)).toBeUndefined();
      });

      it('lists a run’s batches and the unsettled ones', async () => {
        const run = await newRun();
        const other = await newRun(run.dataflow);
        const neighbour = await newRun();
        const f = await fence(run.dataflow);
        const make = (runId: string) => ctx.store.createBatch(f, { id: uid('batch'), runId, dataset: 'ds', externalId: uid('ext') });
        const [uploading, completing, succeeded, failed, aborted] = [await make(run.id), await make(run.id), await make(run.id), await make(run.id), await make(run.id)];
        const elsewhere = await make(other.id);
        await ctx.store.createBatch(await fence(neighbour.dataflow), { id: uid('batch'), runId: neighbour.id, dataset: 'ds', externalId: uid('ext') });
        await ctx.store.updateBatch(f, completing.id, { state: 'completing' });
        await ctx.store.updateBatch(f, succeeded.id, { state: 'succeeded' });
        await ctx.store.updateBatch(f, failed.id, { state: 'failed' });
        await ctx.store.updateBatch(f, aborted.id, { state: 'aborted' });

        const byId = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
        expect(byId(await ctx.store.batchesOfRun(run.id))).toEqual(byId([uploading, completing, succeeded, failed, aborted]));
        expect(byId(await ctx.store.batchesOfRun(other.id))).toEqual([elsewhere.id]);
        expect(await ctx.store.batchesOfRun(uid('missing'))).toEqual([]);

        const unsettled = await ctx.store.unsettledBatches(run.dataflow);
        expect(byId(unsettled)).toEqual(byId([uploading, completing, elsewhere]));
        expect(await ctx.store.dataflowsToSettle()).toEqual(expect.arrayContaining([run.dataflow, neighbour.dataflow]));
        expect(unsettled.find((b) => b.id === completing.id)?.state).toBe('completing');
      });
    });

    describe('secrets', () => {
      it('blanks secret values out of every error it keeps', async () => {
        const secret = 'pw-7f3c2a-s3cr3t';
        const store = await open({ redact: redactor([secret]) });
        const dataflow = uid('df');
        const lease = await store.acquireLease(dataflow, ctx.owner(), { ttlMs: 60_000 });
        if (!lease.granted) throw new Error('lease not granted');
        const f = { dataflow, token: lease.lease.token };
        const run = await store.createRun({ id: uid('run'), dataflow, trigger: 'manual', startedAt: new Date() }, f);
        const [file] = await store.addPending(f, run.id, [{ ...version('a.json'), supersedes: null }]);
        const batch = await store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: uid('ext') });
        const leak = `connect to sftp://luma:${secret}@host failed`;
        await store.setFileState(f, [file.id], 'error', { error: leak });
        await store.updateBatch(f, batch.id, { state: 'aborted', error: leak });
        await store.addRowErrors(f, [{ runId: run.id, batchId: null, fileId: null, file: 'a.json', rowNumber: 1, lineNumber: 1, column: null, field: null, code: 'c', message: leak }]);
        const finished = await store.finishRun(run.id, { status: 'failed', finishedAt: new Date(), error: leak }, f);
        const blanked = 'connect to sftp://luma:[redacted]@host failed';
        expect(finished.error).toBe(blanked);
        expect((await store.filesOfRun(run.id))[0].error).toBe(blanked);
        expect((await store.getBatch(batch.id))?.error).toBe(blanked);
        expect((await store.rowErrorsOfRun(run.id))[0].message).toBe(blanked);
      });
    });

    ledgerSuite(ctx);
    rowErrorsSuite(ctx);
    leasesSuite(ctx);
    stateSuite(ctx);
    ledgerMarksSuite(ctx);
    outboxSuite(ctx);
  });
}
