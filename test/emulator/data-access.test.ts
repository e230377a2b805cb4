import { goodRecord, Harness, jsonLines } from './emulator-harness';

describe('emulator: Data Access', () => {
  let h: Harness;
  let batchId: string;
  const a = jsonLines(Array.from({ length: 20 }, (_, i) => goodRecord(i)));
  const b = jsonLines([goodRecord(100)]);
  beforeAll(async () => {
    h = await Harness.start();
    batchId = (await h.ingest({ 'a.json': a, 'nested/b.json': b })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  test('a successful batch lists one dataset file per uploaded file', async () => {
    const reply = await h.call('GET', `/data/foundation/export/batches/${batchId}/files`);
    expect(reply.status).toBe(200);
    expect(reply.json._page).toEqual({ limit: 100, count: 2 });
    expect(reply.json.data[0]).toEqual({
      dataSetFileId: `${batchId}-1`,
      dataSetViewId: expect.stringMatching(/^[0-9a-f]{24}$/),
      version: '1.0.0',
      created: expect.stringMatching(/^\d+$/),
      updated: expect.stringMatching(/^\d+$/),
      isValid: true,
      _links: { self: { href: `${h.emulator.url}/data/foundation/export/files/${batchId}-1` } },
    });
  });

  test('a dataset file lists its file, whose href downloads the bytes', async () => {
    const listing = await h.call('GET', `/data/foundation/export/files/${batchId}-2`);
    expect(listing.json).toEqual({
      data: [
        {
          name: 'nested/b.json',
          length: String(Buffer.byteLength(b)),
          _links: { self: { href: `${h.emulator.url}/data/foundation/export/files/${batchId}-2?path=nested%2Fb.json` } },
        },
      ],
      _page: { limit: 100, count: 1 },
    });
    const download = await h.call('GET', `/data/foundation/export/files/${batchId}-2?path=nested%2Fb.json`);
    expect(download.status).toBe(200);
    expect(download.text).toBe(b);
    expect(download.headers['accept-ranges']).toBe('bytes');
  });

  test('Range requests get 206 with the part, or 416 when out of bounds', async () => {
    const url = `/data/foundation/export/files/${batchId}-1?path=a.json`;
    const part = await h.call('GET', url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.text).toBe(a.slice(10, 20));
    expect(part.headers['content-range']).toBe(`bytes 10-19/${a.length}`);

    const tail = await h.call('GET', url, { headers: { range: 'bytes=-5' } });
    expect(tail.text).toBe(a.slice(-5));
    const open = await h.call('GET', url, { headers: { range: `bytes=${a.length - 3}-` } });
    expect(open.text).toBe(a.slice(-3));

    const beyond = await h.call('GET', url, { headers: { range: `bytes=${a.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${a.length}`);
  });

  test('unknown ids and names are 404; batches that did not succeed have no files', async () => {
    expect((await h.call('GET', `/data/foundation/export/files/${batchId}-3`)).status).toBe(404);
    expect((await h.call('GET', `/data/foundation/export/files/${batchId}-1?path=other.json`)).status).toBe(404);
    expect((await h.call('GET', '/data/foundation/export/batches/unknown/files')).status).toBe(404);

    const failed = await h.ingest({ 'bad.json': '{oops\n' });
    const files = await h.call('GET', `/data/foundation/export/batches/${failed.id}/files`);
    expect(files.json).toEqual({ data: [], _page: { limit: 100, count: 0 } });
    expect((await h.call('GET', `/data/foundation/export/files/${failed.id}-1`)).status).toBe(404);
  });
});
