import { checkResponse, matchOperation } from '../../src/emulator/contract/request-check';
import { DATASET_ID, goodRecord, Harness, jsonLines, type Reply } from './emulator-harness';

/*
 * The emulator's JSON answers against the schemas Adobe's API descriptions give for them (where
 * they give one): Catalog's batches and datasets, Data Access's listings (created, updated and
 * length as strings), row_errors, the Schema Registry's stats and schemas.
 */

describe('emulator: answers in the shapes of Adobe\'s API descriptions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  function shapeOf(method: string, url: string, reply: Reply): string[] {
    const { operation } = matchOperation(method, url.split('?')[0]);
    if (!operation) return [`no operation for ${method} ${url}`];
    return checkResponse(operation, reply.status, reply.json);
  }

  test('every JSON answer a batch\'s life gives matches its described schema', async () => {
    const created = await h.call('POST', '/data/foundation/import/batches', {
      body: { datasetId: DATASET_ID, inputFormat: { format: 'json' }, enableErrorDiagnostics: true, partialIngestionPercent: 50 },
    });
    const id = created.json.id as string;
    await h.upload(id, 'a.json', jsonLines([goodRecord(1), goodRecord(2), { _id: 'x' }]));
    await h.action(id, 'COMPLETE');
    await h.waitFinal(id);
    const gets = [
      `/data/foundation/catalog/batches/${id}`,
      `/data/foundation/catalog/batches?dataSet=${DATASET_ID}&limit=10`,
      `/data/foundation/catalog/dataSets/${DATASET_ID}?properties=name,schemaRef`,
      '/data/foundation/catalog/dataSets?name=Luma%20Loyalty%20Dataset',
      `/data/foundation/export/batches/${id}/files`,
      `/data/foundation/export/files/${id}-1`,
      `/data/foundation/export/batches/${id}/meta?path=row_errors`,
      '/data/foundation/schemaregistry/stats',
    ];
    const problems = shapeOf('POST', '/data/foundation/import/batches', created);
    for (const url of gets) {
      const reply = await h.call('GET', url);
      expect([url, reply.status]).toEqual([url, 200]);
      problems.push(...shapeOf('GET', url, reply));
    }
    expect(problems).toEqual([]);
  });

  test('the check does catch an answer of the wrong shape', () => {
    const { operation } = matchOperation('GET', '/data/foundation/export/batches/b1/files');
    expect(checkResponse(operation!, 200, { data: [{ dataSetFileId: 'b1-1', created: 1700000000000 }] })).toEqual([
      'listDatasetFiles 200: answer data.0.created must be string',
    ]);
  });
});
