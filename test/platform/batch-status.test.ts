import { specDocument } from '../../src/emulator/contract/spec-documents';
import { isFinalStatus, isSuccessStatus, statusHandling, toBatch, toBatchList, unwrapBatchObject } from '../../src/platform/batch-status';

describe('every documented status has its handling', () => {
  test.each([
    ['loading', 'wait'],
    ['loaded', 'wait'],
    ['staging', 'wait'],
    ['staged', 'wait'],
    ['processing', 'wait'],
    ['queued', 'wait'],
    ['retrying', 'wait'],
    ['success', 'ingested'],
    ['active', 'ingested'],
    ['failed', 'rejected'],
    ['failure', 'rejected'],
    ['stalled', 'resend'],
    ['abandoned', 'resend'],
    ['aborted', 'aborted'],
    ['inactive', 'look-up'],
    ['deleted', 'look-up'],
    ['hibernating', 'unknown'],
  ])('%s: %s', (status, handling) => {
    expect(statusHandling(status)).toBe(handling);
  });

  test('the whole enum of the Catalog API description is covered', () => {
    const doc = specDocument('catalog').doc as { components: { schemas: Record<string, { enum?: string[] }> } };
    const statuses = Object.values(doc.components.schemas).find((s) => s.enum?.includes('stalled'))?.enum ?? [];
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => statusHandling(s) === 'unknown')).toEqual([]);
  });
});

describe('batch statuses', () => {
  test.each([
    ['loading', false, false],
    ['loaded', false, false],
    ['staging', false, false],
    ['staged', false, false],
    ['processing', false, false],
    ['queued', false, false],
    ['retrying', false, false],
    ['success', true, true],
    ['active', true, true],
    ['SUCCESS', true, true],
    ['archived', true, true],
    ['failed', true, false],
    ['failure', true, false],
    ['aborted', true, false],
    ['abandoned', true, false],
    ['inactive', true, false],
    ['deleted', true, false],
    ['stalled', true, false],
    ['something-new', false, false],
    ['', false, false],
  ])('%s: final %s, success %s', (status, final, success) => {
    expect(isFinalStatus(status)).toBe(final);
    expect(isSuccessStatus(status)).toBe(success);
  });
});

const catalogBatch = {
  id: '01E8043CY305K2MTV5ANH9G1GC',
  status: 'success',
  created: 1576741597205,
  completed: 1576741722026,
  externalId: 'run-1-batch-0',
  relatedObjects: [{ type: 'dataSet', id: '5deac2648a19d218a888d2b1' }],
  metrics: { inputByteSize: 568, inputFileCount: 4, inputRecordCount: 519, outputRecordCount: 514, failedRecordCount: 5, partitionCount: 1 },
  errors: [{ code: 'INGEST-1212-400', description: 'Encountered 5 errors', recordCount: 5 }, 'not an object'],
};

describe('toBatch', () => {
  test('lifts the fields the run needs out of a Catalog batch', () => {
    const b = toBatch(catalogBatch);
    expect(b).toEqual({
      id: '01E8043CY305K2MTV5ANH9G1GC',
      status: 'success',
      handling: 'ingested',
      replaces: undefined,
      final: true,
      succeeded: true,
      datasetId: '5deac2648a19d218a888d2b1',
      externalId: 'run-1-batch-0',
      metrics: { inputByteSize: 568, inputFileCount: 4, inputRecordCount: 519, outputRecordCount: 514, failedRecordCount: 5 },
      errors: [{ code: 'INGEST-1212-400', description: 'Encountered 5 errors', recordCount: 5 }],
      created: 1576741597205,
      completed: 1576741722026,
      raw: catalogBatch,
    });
  });

  test('copes with a batch that has hardly anything yet', () => {
    const b = toBatch({ status: 'Loading' }, 'abc');
    expect(b).toMatchObject({ id: 'abc', status: 'loading', final: false, succeeded: false, metrics: {}, errors: [] });
    expect(b.datasetId).toBeUndefined();
  });

  test('unwraps Catalog answers keyed by id and plain import answers alike', () => {
    const { id, ...rest } = catalogBatch;
    expect(unwrapBatchObject({ [id]: rest }, id)).toMatchObject({ id, status: 'success' });
    expect(unwrapBatchObject({ [id]: rest })).toMatchObject({ id, status: 'success' });
    expect(unwrapBatchObject(catalogBatch)).toBe(catalogBatch);
    expect(unwrapBatchObject({ a: { status: 'x' }, b: { status: 'y' } })).toBeUndefined();
    expect(unwrapBatchObject('nope')).toBeUndefined();
  });

  test('lists keep the answer order and skip non-batch keys', () => {
    const list = toBatchList({ b1: { status: 'loading' }, b2: { id: 'b2', status: 'failed' }, _page: { count: 2 } });
    expect(list.map((b) => [b.id, b.status, b.final])).toEqual([
      ['b1', 'loading', false],
      ['b2', 'failed', true],
    ]);
  });
});
