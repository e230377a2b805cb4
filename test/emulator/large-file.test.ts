import { goodRecord, Harness, jsonLines } from './emulator-harness';

describe('emulator: large-file upload', () => {
  let h: Harness;
  // Adobe's large-file calls are for files of 256 MB or more; a lower threshold reaches them with little data.
  beforeAll(async () => {
    h = await Harness.start({ limits: { largeFileBytes: 1000 } });
  });
  afterAll(async () => {
    await h.close();
  });

  const content = Buffer.from(jsonLines(Array.from({ length: 50 }, (_, i) => goodRecord(i))));

  const json = { 'content-type': 'application/json' };
  const initialize = (id: string, name: string) => h.call('POST', `${h.filesUrl(id, name)}?action=INITIALIZE`, { headers: json });
  const completeFile = (id: string, name: string) => h.call('POST', `${h.filesUrl(id, name)}?action=COMPLETE`, { headers: json });
  const patch = (id: string, name: string, start: number, end: number, range = `bytes ${start}-${end}/${content.length}`) =>
    h.call('PATCH', h.filesUrl(id, name), {
      body: content.subarray(start, end + 1),
      headers: { 'content-type': 'application/octet-stream', 'content-range': range },
    });

  test('chunks sent out of order assemble the file, HEAD reports what arrived, the batch ingests it', async () => {
    const id = await h.createBatch();
    expect((await initialize(id, 'big/part-0.json')).status).toBe(201);
    const third = Math.floor(content.length / 3);
    expect((await patch(id, 'big/part-0.json', third, 2 * third - 1)).status).toBe(200);
    expect((await patch(id, 'big/part-0.json', 0, third - 1)).status).toBe(200);

    const head = await h.call('HEAD', h.filesUrl(id, 'big/part-0.json'));
    expect(head.status).toBe(200);
    expect(head.headers.range).toBe(`bytes=0-${2 * third - 1}`);

    expect((await patch(id, 'big/part-0.json', 2 * third, content.length - 1)).status).toBe(200);
    const done = await completeFile(id, 'big/part-0.json');
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ name: 'big/part-0.json', sizeInBytes: content.length });

    expect((await h.action(id, 'COMPLETE')).status).toBe(200);
    const batch = await h.waitFinal(id);
    expect(batch.status).toBe('success');
    expect(batch.metrics).toMatchObject({ inputRecordCount: 50, inputByteSize: content.length });

    const download = await h.call('GET', `/data/foundation/export/files/${id}-1?path=${encodeURIComponent('big/part-0.json')}`);
    expect(download.text).toBe(content.toString());
  });

  test('a gap between chunks makes the file COMPLETE answer 400', async () => {
    const id = await h.createBatch();
    await initialize(id, 'gap.json');
    await patch(id, 'gap.json', 0, 99);
    await patch(id, 'gap.json', 200, content.length - 1);
    const reply = await completeFile(id, 'gap.json');
    expect(reply.status).toBe(400);
    expect(reply.json.detail).toContain('bytes 100-199 are missing');
    expect((await h.call('HEAD', h.filesUrl(id, 'gap.json'))).headers.range).toBe(`bytes=0-99,200-${content.length - 1}`);
  });

  test('overlapping chunks and a missing tail are refused too', async () => {
    const id = await h.createBatch();
    await initialize(id, 'overlap.json');
    await patch(id, 'overlap.json', 0, 99);
    await patch(id, 'overlap.json', 50, content.length - 1);
    expect((await completeFile(id, 'overlap.json')).json.detail).toContain('overlaps');

    await initialize(id, 'short.json');
    await patch(id, 'short.json', 0, 99);
    const short = await completeFile(id, 'short.json');
    expect(short.status).toBe(400);
    expect(short.json.detail).toContain(`bytes 100-${content.length - 1}`);
  });

  test('a batch with a large file left unfinished cannot complete', async () => {
    const id = await h.createBatch();
    await initialize(id, 'pending.json');
    await patch(id, 'pending.json', 0, content.length - 1);
    const reply = await h.action(id, 'COMPLETE');
    expect(reply.status).toBe(400);
    expect(reply.json.detail).toContain('pending.json');
  });

  test('bad chunk requests: no Content-Range, a body shorter than announced, no INITIALIZE', async () => {
    const id = await h.createBatch();
    await initialize(id, 'f.json');
    const noRange = await h.call('PATCH', h.filesUrl(id, 'f.json'), { body: Buffer.from('abc'), headers: { 'content-type': 'application/octet-stream' } });
    expect(noRange.status).toBe(400);
    const short = await h.call('PATCH', h.filesUrl(id, 'f.json'), {
      body: Buffer.from('abc'),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-9/${content.length}` },
    });
    expect([short.status, short.json.detail]).toEqual([400, 'Content-Range announces 10 bytes, the body had 3']);
    expect((await patch(id, 'never-initialized.json', 0, 9)).status).toBe(404);
    expect((await h.call('HEAD', h.filesUrl(id, 'never-initialized.json'))).status).toBe(404);
  });

  test('HEAD on a file uploaded whole reports all of it', async () => {
    const id = await h.createBatch();
    await h.upload(id, 'whole.json', content.subarray(0, 500));
    expect((await h.call('HEAD', h.filesUrl(id, 'whole.json'))).headers.range).toBe('bytes=0-499');
  });
});
