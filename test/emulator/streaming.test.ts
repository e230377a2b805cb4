import { Readable } from 'node:stream';
import { getGlobalDispatcher } from 'undici';
import { goodRecord, Harness } from './emulator-harness';

describe('emulator: streamed uploads beyond the small-body limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  /** A JSON array of `count` records, produced piece by piece, several MB in all. */
  function* arrayPieces(count: number): Generator<string> {
    yield '[\n';
    for (let i = 0; i < count; i++) yield (i > 0 ? ',\n' : '') + JSON.stringify(goodRecord(i));
    yield '\n]\n';
  }

  test('an upload of several MB is streamed to disk and every record counted', async () => {
    const count = 40_000;
    const id = await h.createBatch();
    const size = [...arrayPieces(count)].reduce((n, piece) => n + Buffer.byteLength(piece), 0);
    expect(size).toBeGreaterThan(4 * 1024 * 1024);

    const res = await getGlobalDispatcher().request({
      origin: h.emulator.url,
      path: h.filesUrl(id, 'big.json'),
      method: 'PUT',
      headers: { ...h.gatewayHeaders, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.from(arrayPieces(count)),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(201);

    await h.action(id, 'COMPLETE');
    const batch = await h.waitFinal(id);
    expect(batch.status).toBe('success');
    expect(batch.metrics).toMatchObject({ inputRecordCount: count, outputRecordCount: count, inputByteSize: size });
  });
});
