import type { NewRowError } from '../../src/store/types';
import type { SuiteContext } from './store-suite-context';

/** The row-errors half of the store suite (store.suite.ts): rows rejected before upload, per run. */
export function rowErrorsSuite(ctx: SuiteContext): void {
  const { uid, newRun, version, take, fence } = ctx;

  describe('row errors', () => {
    it('keeps a run’s row errors with their batch and file, in order, up to a limit', async () => {
      const run = await newRun();
      const other = await newRun(run.dataflow);
      const f = await fence(run.dataflow);
      const [file] = await take(run, [version('products.csv')]);
      const batch = await ctx.store.createBatch(f, { id: uid('batch'), runId: run.id, dataset: 'ds', externalId: uid('ext') });
      const error = (n: number): NewRowError => ({
        runId: run.id,
        batchId: batch.id,
        fileId: file.id,
        file: 'products.csv',
        rowNumber: n,
        lineNumber: n + 1,
        column: 'price',
        field: '_acme.product.price',
        code: 'MAPPER-3700',
        message: `column price: "${n},000" is not a number: thousands separators are not accepted`,
      });
      await ctx.store.addRowErrors(f, [error(1), error(2), error(3)]);
      await ctx.store.addRowErrors(f, [{ ...error(9), runId: other.id, batchId: null, fileId: null, column: null, field: null, lineNumber: null }]);
      await ctx.store.addRowErrors(f, []);

      const kept = await ctx.store.rowErrorsOfRun(run.id);
      expect(kept.map(({ id: _id, createdAt: _at, ...rest }) => rest)).toEqual([error(1), error(2), error(3)]);
      expect(kept[0].createdAt).toBeInstanceOf(Date);
      expect((await ctx.store.rowErrorsOfRun(run.id, { limit: 2 })).map((e) => e.rowNumber)).toEqual([1, 2]);
      expect(await ctx.store.rowErrorsOfRun(other.id)).toMatchObject([{ rowNumber: 9, batchId: null, fileId: null, column: null, field: null, lineNumber: null }]);
      expect(await ctx.store.rowErrorsOfRun(uid('missing'))).toEqual([]);
      await expect(ctx.store.rowErrorsOfRun(run.id, { limit: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT' });
    });

    it('refuses row errors of an unknown run, and keeps none of that call', async () => {
      const run = await newRun();
      const good: NewRowError = { runId: run.id, batchId: null, fileId: null, file: 'a.json', rowNumber: 1, lineNumber: 1, column: null, field: null, code: '1401', message: 'x' };
      await expect(ctx.store.addRowErrors(await fence(run.dataflow), [good, { ...good, runId: uid('missing') }])).rejects.toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
      expect(await ctx.store.rowErrorsOfRun(run.id)).toEqual([]);
    });
  });
}
