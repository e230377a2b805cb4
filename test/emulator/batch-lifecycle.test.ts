import { DATASET_ID, goodRecord, Harness, jsonLines } from './emulator-harness';

describe('emulator: batch lifecycle', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  test('creating a batch answers 201 with the batch object', async () => {
    const reply = await h.call('POST', '/data/foundation/import/batches', {
      body: { datasetId: DATASET_ID, inputFormat: { format: 'JSON' }, tags: { source: ['test'] } },
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      status: 'loading',
      relatedObjects: [{ type: 'dataSet', id: DATASET_ID }],
      inputFormat: { format: 'json' },
      tags: { source: ['test'] },
    });
    expect(reply.json.id).toMatch(/^[0-9a-f]{32}$/);
    expect(reply.json.externalId).toBe(reply.json.id);
    expect(typeof reply.json.created).toBe('number');
    expect(reply.json.updated).toBe(reply.json.created);
  });

  test('a batch for an unknown dataset, or without inputFormat, is refused with 400', async () => {
    const unknown = await h.call('POST', '/data/foundation/import/batches', { body: { datasetId: 'nope', inputFormat: { format: 'json' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ status: 400, title: 'Dataset not found' });
    expect(unknown.json.type).toMatch(/^http:\/\/ns\.adobe\.com\/aep\/errors\//);

    const noFormat = await h.call('POST', '/data/foundation/import/batches', { body: { datasetId: DATASET_ID } });
    expect(noFormat.status).toBe(400);
    expect(noFormat.json.detail).toContain('inputFormat');

    const badFormat = await h.call('POST', '/data/foundation/import/batches', { body: { datasetId: DATASET_ID, inputFormat: { format: 'xml' } } });
    expect(badFormat.status).toBe(400);
  });

  test('JSON Lines and JSON array files are counted and the batch succeeds', async () => {
    const lines = jsonLines([goodRecord(1), goodRecord(2), goodRecord(3)]) + '\n\n';
    const array = JSON.stringify([goodRecord(4), goodRecord(5)], null, 2);
    const { batch } = await h.ingest({ 'purchases/day1.json': lines, 'purchases/day2.json': array });
    expect(batch.status).toBe('success');
    expect(batch.metrics).toEqual({
      inputRecordCount: 5,
      outputRecordCount: 5,
      failedRecordCount: 0,
      inputFileCount: 2,
      inputByteSize: Buffer.byteLength(lines) + Buffer.byteLength(array),
    });
    expect(batch.errors).toEqual([]);
    expect(batch.completed).toBeGreaterThanOrEqual(batch.created);
    expect(batch.relatedObjects).toEqual([{ type: 'dataSet', id: DATASET_ID }]);
  });

  test('isMultiLineJson reads pretty-printed objects one after another', async () => {
    const pretty = [goodRecord(1), goodRecord(2)].map((r) => JSON.stringify(r, null, 2)).join('\n');
    const { batch } = await h.ingest({ 'pretty.json': pretty }, { inputFormat: { format: 'json', isMultiLineJson: true } });
    expect(batch.status).toBe('success');
    expect(batch.metrics.inputRecordCount).toBe(2);
  });

  test('a PUT answers 201 when it creates the file and 200 when it replaces it', async () => {
    const id = await h.createBatch();
    expect((await h.upload(id, 'a.json', jsonLines([goodRecord(1)]))).status).toBe(201);
    expect((await h.upload(id, 'a.json', jsonLines([goodRecord(1), goodRecord(2)]))).status).toBe(200);
    await h.action(id, 'COMPLETE');
    const batch = await h.waitFinal(id);
    expect(batch.metrics).toMatchObject({ inputFileCount: 1, inputRecordCount: 2 });
  });

  test('uploads: unknown batch 404, multipart 415, wrong dataset 400, after COMPLETE 400', async () => {
    expect((await h.upload('0'.repeat(32), 'a.json', '{}')).status).toBe(404);
    const id = await h.createBatch();
    const multipart = await h.call('PUT', h.filesUrl(id, 'a.json'), {
      body: '--x\r\n\r\n{}\r\n--x--',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(multipart.status).toBe(415);
    expect((await h.upload(id, 'a.json', '{}', 'free-form')).status).toBe(400);
    expect((await h.upload(id, 'a.json', jsonLines([goodRecord(1)]))).status).toBe(201);
    expect((await h.action(id, 'COMPLETE')).status).toBe(200);
    const late = await h.upload(id, 'b.json', jsonLines([goodRecord(2)]));
    expect(late.status).toBe(400);
    expect(late.json.title).toBe('Batch is not loading');
    await h.waitFinal(id);
  });

  test('a record that breaks the schema fails the whole batch, with errors', async () => {
    const bad = { _id: 'x', timestamp: 'not-a-date' };
    const missing = { _id: 'y' };
    const { batch } = await h.ingest({ 'mixed.json': jsonLines([goodRecord(1), bad, missing, goodRecord(2)]) });
    expect(batch.status).toBe('failed');
    expect(batch.metrics).toMatchObject({ inputRecordCount: 4, outputRecordCount: 0, failedRecordCount: 4 });
    const codes = batch.errors.map((e: { code: string }) => e.code);
    expect(codes).toEqual(['INGEST-1211-400', 'INGEST-XDM-400', 'INGEST-1555-400']);
    expect(batch.errors[1].description).toContain('mixed.json row 2');
    expect(batch.errors[2].description).toContain('timestamp');
    // recordCount only comes with error diagnostics (aep-api.md §5.2).
    expect(batch.errors[1].recordCount).toBeUndefined();
  });

  test('a malformed JSON line fails the batch', async () => {
    const text = jsonLines([goodRecord(1)]) + '{"_id": "broken", \n' + jsonLines([goodRecord(2)]);
    const { batch } = await h.ingest({ 'broken.json': text });
    expect(batch.status).toBe('failed');
    expect(batch.errors.map((e: { code: string }) => e.code)).toContain('INGEST-1401-400');
    expect(batch.metrics.inputRecordCount).toBe(3);
  });

  test('a JSON array that never closes fails the batch as unreadable', async () => {
    const { batch } = await h.ingest({ 'cut.json': '[' + JSON.stringify(goodRecord(1)) + ',\n{"_id": "x"' });
    expect(batch.status).toBe('failed');
    expect(batch.errors[0].code).toBe('INGEST-1401-400');
    expect(batch.errors[0].description).toContain('cut.json');
  });

  test('an empty file and a batch without files fail with Platform codes 106 and 133', async () => {
    expect((await h.ingest({ 'empty.json': '' })).batch.errors[0].code).toBe('106');
    expect((await h.ingest({})).batch.errors[0].code).toBe('133');
  });

  test('COMPLETE is idempotent and ABORT only works before the end', async () => {
    const { id, batch } = await h.ingest({ 'a.json': jsonLines([goodRecord(1)]) });
    expect(batch.status).toBe('success');
    expect((await h.action(id, 'COMPLETE')).status).toBe(200);
    expect((await h.batch(id)).status).toBe('success');
    const abortDone = await h.action(id, 'ABORT');
    expect(abortDone.status).toBe(400);

    const open = await h.createBatch();
    await h.upload(open, 'a.json', jsonLines([goodRecord(1)]));
    expect((await h.action(open, 'ABORT')).status).toBe(200);
    expect((await h.batch(open)).status).toBe('aborted');
    expect((await h.action(open, 'ABORT')).status).toBe(200);
    expect((await h.action(open, 'COMPLETE')).status).toBe(400);
    expect((await h.action(open, 'SHRUG')).status).toBe(400);
    expect((await h.action('f'.repeat(32), 'COMPLETE')).status).toBe(404);
  });

  test('REVERT makes a successful batch inactive', async () => {
    const { id } = await h.ingest({ 'a.json': jsonLines([goodRecord(1)]) });
    expect((await h.action(id, 'REVERT')).status).toBe(200);
    expect((await h.batch(id)).status).toBe('inactive');
  });

  test('file paths that climb out of the batch are refused with 400', async () => {
    const id = await h.createBatch();
    for (const evil of ['../../escape.json', '%2E%2E/%2E%2E/etc/passwd', '..%2F..%2Fescape.json', 'a/%2E%2E/%2E%2E/x.json', '%2Fetc%2Fpasswd', 'a%5C..%5Cb', 'a//b']) {
      const reply = await h.upload(id, evil, '{}');
      expect({ evil, status: reply.status }).toEqual({ evil, status: 400 });
    }
    expect((await h.upload(id, 'part%3Da/file%20one.json', jsonLines([goodRecord(1)]))).status).toBe(201);
  });

  test('a file and a folder of the same name clash with 400; the folder is made for nested paths', async () => {
    const id = await h.createBatch();
    expect((await h.upload(id, 'a.json', jsonLines([goodRecord(1)]))).status).toBe(201);
    const underFile = await h.upload(id, 'a.json/b.json', jsonLines([goodRecord(2)]));
    expect(underFile.status).toBe(400);
    expect(underFile.text).toContain('clashes with another file of the batch');
    expect((await h.upload(id, 'deep/er/c.json', jsonLines([goodRecord(3)]))).status).toBe(201);
    expect((await h.upload(id, 'deep/er', jsonLines([goodRecord(4)]))).status).toBe(400);
    const initialize = await h.call('POST', `${h.filesUrl(id, 'a.json/big.json')}?action=INITIALIZE`, { headers: { 'content-type': 'application/json' } });
    expect([initialize.status, initialize.text]).toEqual([400, expect.stringContaining('clashes with another file of the batch')]);
    await h.action(id, 'COMPLETE');
    expect((await h.waitFinal(id)).metrics).toMatchObject({ inputFileCount: 2, inputRecordCount: 2 });
  });

  test('CSV rows are counted without the header, quoted newlines included', async () => {
    const csv = 'id,name,note\r\n1,Ann,"two\nlines"\r\n2,Bob,plain\r\n\r\n3,Cy,"say ""hi"""\r\n';
    const { batch } = await h.ingest({ 'people.csv': csv }, { inputFormat: { format: 'csv' } });
    expect(batch.status).toBe('success');
    expect(batch.metrics.inputRecordCount).toBe(3);

    const headerless = await h.ingest({ 'blank.csv': '\nid\n1\n' }, { inputFormat: { format: 'csv' } });
    expect(headerless.batch.errors[0].code).toBe('118');
  });
});
