import { DATASET_ID, goodRecord, Harness, jsonLines, type Json } from './emulator-harness';

describe('emulator: Catalog', () => {
  let h: Harness;
  const created: string[] = [];
  beforeAll(async () => {
    h = await Harness.start();
    for (let i = 0; i < 5; i++) created.push(await h.createBatch({ externalId: `run-${i}` }));
    await h.call('POST', '/data/foundation/import/batches', { body: { datasetId: 'free-form', inputFormat: { format: 'json' } } });
  });
  afterAll(async () => {
    await h.close();
  });

  const list = (query: string) => h.call('GET', `/data/foundation/catalog/batches?${query}`);

  test('a batch is answered keyed by its id, with every field clients read', async () => {
    const { id } = await h.ingest({ 'a.json': jsonLines([goodRecord(1)]) }, { externalId: 'one-off' });
    const reply = await h.call('GET', `/data/foundation/catalog/batches/${id}`);
    expect(Object.keys(reply.json)).toEqual([id]);
    expect(reply.json[id]).toMatchObject({
      id,
      status: 'success',
      externalId: 'one-off',
      relatedObjects: [{ type: 'dataSet', id: DATASET_ID }],
      inputFormat: { format: 'json' },
      metrics: { inputRecordCount: 1, outputRecordCount: 1, failedRecordCount: 0, inputFileCount: 1 },
      errors: [],
      created: expect.any(Number),
      updated: expect.any(Number),
      started: expect.any(Number),
      completed: expect.any(Number),
    });
    expect((await h.call('GET', '/data/foundation/catalog/batches/unknown')).status).toBe(404);
  });

  test('batches of a dataset page with limit and start, oldest first', async () => {
    const first = await list(`dataSet=${DATASET_ID}&limit=2`);
    const second = await list(`dataSet=${DATASET_ID}&limit=2&start=2`);
    const third = await list(`dataSet=${DATASET_ID}&limit=2&start=4`);
    const ids = [...Object.keys(first.json), ...Object.keys(second.json), ...Object.keys(third.json)];
    expect(ids.slice(0, 5)).toEqual(created);
    expect(Object.values(first.json).every((b: Json) => b.relatedObjects[0].id === DATASET_ID)).toBe(true);
  });

  test('the default page holds 20, orderBy reverses', async () => {
    const all = await list(`dataSet=${DATASET_ID}`);
    expect(Object.keys(all.json).length).toBeGreaterThanOrEqual(5);
    expect(Object.keys(all.json).length).toBeLessThanOrEqual(20);
    const newest = await list(`dataSet=${DATASET_ID}&orderBy=desc:created&limit=100`);
    expect(Object.keys(newest.json)).toEqual(Object.keys(all.json).reverse());
  });

  test('externalId and status filter', async () => {
    const byExternal = await list('externalId=run-3');
    expect(Object.keys(byExternal.json)).toEqual([created[3]]);
    expect(await list('externalId=none').then((r) => r.json)).toEqual({});
    const loading = await list(`dataSet=free-form&status=loading`);
    expect(Object.keys(loading.json)).toHaveLength(1);
  });

  test('a limit out of 1..100 is a 400', async () => {
    expect((await list('limit=0')).status).toBe(400);
    expect((await list('limit=101')).status).toBe(400);
    expect((await list('limit=abc')).status).toBe(400);
    expect((await list('orderBy=desc:size')).status).toBe(400);
  });

  test('datasets are listed keyed by id, found by name, and fetched by id', async () => {
    const all = await h.call('GET', '/data/foundation/catalog/dataSets');
    expect(Object.keys(all.json).sort()).toEqual(['free-form', DATASET_ID].sort());
    expect(all.json[DATASET_ID]).toMatchObject({
      name: 'Luma Loyalty Dataset',
      schemaRef: { id: 'https://ns.adobe.com/techmarketingdemos/schemas/luma-loyalty', contentType: expect.stringContaining('xed') },
    });
    const byName = await h.call('GET', `/data/foundation/catalog/dataSets?name=${encodeURIComponent('Free Form Dataset')}`);
    expect(Object.keys(byName.json)).toEqual(['free-form']);
    const one = await h.call('GET', `/data/foundation/catalog/dataSets/${DATASET_ID}`);
    expect(Object.keys(one.json)).toEqual([DATASET_ID]);
    expect((await h.call('GET', '/data/foundation/catalog/dataSets/missing')).status).toBe(404);
  });
});
