import { DATASET_ID, Harness } from './emulator-harness';

/*
 * The emulator answers a request that Adobe's API description does not allow as Platform would,
 * before any route sees it: one test per rule of src/emulator/contract/request-check.ts.
 */

describe('emulator: requests off Adobe\'s API description are refused', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  const code = (reply: { json: { type?: string } }) => reply.json.type?.split('/').pop();

  test('a path no Platform API has: 404', async () => {
    const reply = await h.call('GET', '/data/foundation/catalog/batchez');
    expect([reply.status, code(reply), reply.json.detail]).toEqual([404, 'EMU-1000-404', 'the catalog API has no path /data/foundation/catalog/batchez']);
  });

  test('a method the path does not have: 405 with Allow', async () => {
    const reply = await h.call('DELETE', '/data/foundation/import/batches');
    expect([reply.status, code(reply), reply.headers.allow]).toEqual([405, 'EMU-1405-405', 'POST']);
  });

  test('a required header missing: 400 naming it', async () => {
    const id = await h.createBatch();
    const reply = await h.call('POST', `${h.filesUrl(id, 'x.json')}?action=INITIALIZE`);
    expect([reply.status, code(reply), reply.json.detail]).toEqual([400, 'EMU-1002-400', 'completeLargeFileUpload requires the header Content-Type']);
  });

  test('a query parameter the operation does not declare, or of the wrong type: 400', async () => {
    const unknown = await h.call('GET', `/data/foundation/catalog/batches?dataset=${DATASET_ID}`);
    expect([unknown.status, code(unknown), unknown.json.detail]).toEqual([400, 'EMU-1003-400', 'listBatches has no query parameter dataset']);
    const typed = await h.call('GET', '/data/foundation/catalog/batches?limit=ten');
    expect([typed.status, code(typed)]).toEqual([400, 'EMU-1003-400']);
    const action = await h.call('POST', `/data/foundation/import/batches/${await h.createBatch()}?action=complete`);
    expect([action.status, code(action)]).toEqual([400, 'EMU-1003-400']);
  });

  test('a body that breaks its schema: 400 naming the field', async () => {
    const reply = await h.call('POST', '/data/foundation/import/batches', { body: { datasetId: DATASET_ID, inputFormat: { format: 'json' }, replay: { predecessors: 'b1' } } });
    expect([reply.status, code(reply), reply.json.detail]).toEqual([400, 'EMU-1004-400', 'createBatch: body replay.predecessors must be array']);
  });

  test('a body of a media type the operation does not take: 415', async () => {
    const reply = await h.call('POST', '/data/foundation/import/batches', { body: 'datasetId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([reply.status, code(reply)]).toEqual([415, 'EMU-1415-415']);
    const id = await h.createBatch();
    const csv = await h.call('PUT', h.filesUrl(id, 'x.csv'), { body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } });
    expect([csv.status, code(csv)]).toEqual([415, 'EMU-1415-415']);
  });
});
