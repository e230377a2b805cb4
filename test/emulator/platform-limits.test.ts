import { Readable } from 'node:stream';
import { getGlobalDispatcher } from 'undici';
import { LIMITS_ENV, resolveOptions } from '../../src/emulator/options';
import { countFields } from '../../src/emulator/platform-limits';
import { goodRecord, Harness, jsonLines } from './emulator-harness';

/*
 * What Adobe's guides restrict beyond the API descriptions (aep-api.md §2.2, §2.3, §4), lowered
 * here so that little data reaches them: each limit refused with Platform's status and a message
 * that names it.
 */

describe('emulator: the guides\' limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ limits: { largeFileBytes: 1000, maxChunkBytes: 600, maxFilesPerBatch: 2, maxBatchBytes: 5000, maxFieldsPerRecord: 6 } });
  });
  afterAll(() => h.close());

  const json = { 'content-type': 'application/json' };
  const octets = { 'content-type': 'application/octet-stream' };
  const big = Buffer.alloc(1500, 'x');
  const code = (reply: { json: { type?: string } }) => reply.json.type?.split('/').pop();

  test('a PUT must state its length, and carry no more than the large-file threshold', async () => {
    const id = await h.createBatch();
    const res = await getGlobalDispatcher().request({
      origin: h.emulator.url,
      path: h.filesUrl(id, 'chunked.json'),
      method: 'PUT',
      headers: { ...h.gatewayHeaders, ...octets },
      body: Readable.from([Buffer.from('{"a":1}\n')]),
    });
    const body = JSON.parse(await res.body.text()) as { type: string; detail: string };
    expect([res.statusCode, body.type.split('/').pop(), body.detail]).toEqual([411, 'BATCH-1411-411', expect.stringContaining('Content-Length')]);
    const tooBig = await h.upload(id, 'big.json', big);
    expect([tooBig.status, code(tooBig), tooBig.json.detail]).toEqual([413, 'BATCH-1413-413', expect.stringContaining('large-file upload')]);
  });

  test('the large-file calls are for files of the threshold or more, each chunk naming the file\'s size', async () => {
    const id = await h.createBatch();
    const url = h.filesUrl(id, 'small.json');
    expect((await h.call('POST', `${url}?action=INITIALIZE`, { headers: json })).status).toBe(201);
    const small = await h.call('PATCH', url, { body: Buffer.from('0123456789'), headers: { ...octets, 'content-range': 'bytes 0-9/10' } });
    expect([small.status, code(small), small.json.detail]).toEqual([400, 'BATCH-1416-400', expect.stringContaining('sent with PUT')]);
    for (const range of ['bytes 0-9/*', 'bytes 0-9']) {
      const unknown = await h.call('PATCH', url, { body: Buffer.from('0123456789'), headers: { ...octets, 'content-range': range } });
      expect([unknown.status, code(unknown)]).toEqual([400, 'BATCH-1417-400']);
    }
    const nothing = await h.call('POST', `${url}?action=COMPLETE`, { headers: json });
    expect([nothing.status, code(nothing)]).toEqual([400, 'BATCH-1416-400']);

    const large = h.filesUrl(id, 'large.json');
    await h.call('POST', `${large}?action=INITIALIZE`, { headers: json });
    const wide = await h.call('PATCH', large, { body: big.subarray(0, 700), headers: { ...octets, 'content-range': `bytes 0-699/${big.length}` } });
    expect([wide.status, code(wide)]).toEqual([400, 'BATCH-1418-400']);
  });

  test('a batch holds at most so many files and so many bytes', async () => {
    const id = await h.createBatch();
    expect((await h.upload(id, 'a.json', jsonLines([goodRecord(1)]))).status).toBe(201);
    expect((await h.upload(id, 'b.json', jsonLines([goodRecord(2)]))).status).toBe(201);
    const third = await h.upload(id, 'c.json', jsonLines([goodRecord(3)]));
    expect([third.status, code(third)]).toEqual([400, 'BATCH-1419-400']);
    // Replacing a file is no new file.
    expect((await h.upload(id, 'b.json', jsonLines([goodRecord(4)]))).status).toBe(200);

    const other = await h.createBatch();
    const url = h.filesUrl(other, 'huge.json');
    await h.call('POST', `${url}?action=INITIALIZE`, { headers: json });
    const huge = await h.call('PATCH', url, { body: big.subarray(0, 500), headers: { ...octets, 'content-range': 'bytes 0-499/6000' } });
    expect([huge.status, code(huge), huge.json.detail]).toEqual([400, 'BATCH-1420-400', expect.stringContaining('at most 5000')]);
  });

  test('a record with more fields than a row may have is a failed row', async () => {
    const wide = { ...goodRecord(1), a: 1, b: 2, c: 3 };
    const { batch } = await h.ingest({ 'wide.json': jsonLines([goodRecord(0), wide]) }, { enableErrorDiagnostics: true, partialIngestionPercent: 50 });
    expect(batch.metrics).toMatchObject({ inputRecordCount: 2, outputRecordCount: 1, failedRecordCount: 1 });
    expect(batch.errors[1].description).toContain('more than 6 fields');
  });

  test('DATAFLOWD_EMULATOR_LIMITS lifts a limit of an emulator started without options; a malformed one is refused', () => {
    const before = process.env[LIMITS_ENV];
    try {
      process.env[LIMITS_ENV] = '{"largeFileBytes": 1e12}';
      expect(resolveOptions({ dataDir: '/x', datasets: [] }).limits).toMatchObject({ largeFileBytes: 1e12, maxFilesPerBatch: 1500 });
      process.env[LIMITS_ENV] = '{"files": 3}';
      expect(() => resolveOptions({ dataDir: '/x', datasets: [] })).toThrow(/files is not one of largeFileBytes/);
    } finally {
      if (before === undefined) delete process.env[LIMITS_ENV];
      else process.env[LIMITS_ENV] = before;
    }
  });

  test('fields are counted at every depth, and counting stops past the limit', () => {
    expect(countFields({ a: 1, b: { c: 2, d: [{ e: 3 }, 4] } }, 100)).toBe(5);
    expect(countFields({ a: 1, b: 2, c: 3, d: 4 }, 1)).toBeLessThanOrEqual(4);
  });
});
