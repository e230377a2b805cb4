import { goodRecord, Harness, jsonLines, type Json } from './emulator-harness';

describe('emulator: partial ingestion and error diagnostics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  /** 10 records, of which 2 are bad: one breaks the schema, one is not JSON. */
  const tenWithTwoBad = () => {
    const good = Array.from({ length: 8 }, (_, i) => JSON.stringify(goodRecord(i + 1)));
    const lines = [...good.slice(0, 3), '{"_id": "no timestamp"}', ...good.slice(3, 6), '{not json', ...good.slice(6)];
    return lines.join('\n') + '\n';
  };

  test('bad rows within the threshold are dropped and the batch succeeds', async () => {
    const { batch } = await h.ingest({ 'ten.json': tenWithTwoBad() }, { enableErrorDiagnostics: true, partialIngestionPercent: 20 });
    expect(batch.status).toBe('success');
    expect(batch.metrics).toMatchObject({ inputRecordCount: 10, outputRecordCount: 8, failedRecordCount: 2 });
    expect(batch.tags).toMatchObject({ acp_enableErrorDiagnostics: ['true'], acp_partialIngestionPercent: ['20'] });
    const byCode = Object.fromEntries(batch.errors.map((e: Json) => [e.code, e]));
    expect(byCode['INGEST-1212-400'].description).toContain('Successfully ingested 8 rows');
    expect(byCode['INGEST-1555-400']).toMatchObject({ recordCount: 1, rows: ['4'] });
    expect(byCode['INGEST-1401-400']).toMatchObject({ recordCount: 1, rows: ['8'] });
  });

  test("says in words why a row is corrupt, never with the parser's message that quotes the row", async () => {
    const rows = [JSON.stringify(goodRecord(1)), 'dataflowd-rejected-row {"row":2,"message":"price: not a number"}', '{"_id": "x", oops}'];
    const { batch } = await h.ingest({ 'three.json': rows.join('\n') + '\n' }, { enableErrorDiagnostics: true, partialIngestionPercent: 90 });
    const corrupt = batch.errors.find((e: Json) => e.code === 'INGEST-1401-400');
    expect(corrupt.description).toContain('First at three.json row 2: Row is corrupted and cannot be read: it is not JSON (a record begins with "{")');
    const text = JSON.stringify(batch.errors);
    expect(text).not.toMatch(/Unexpected token|in JSON at position|dataflowd-|oops/);
    const listing = await h.call('GET', `/data/foundation/export/batches/${batch.id}/meta?path=row_errors`);
    const href = new URL(listing.json.data.find((d: Json) => d.name === 'parsing_errors_0.json')._links.self.href);
    const parsing = (await h.call('GET', href.pathname + href.search)).text.trim().split('\n').map((l: string) => JSON.parse(l));
    expect(parsing.map((r: Json) => r._errors[0].message)).toEqual([
      'Row is corrupted and cannot be read: it is not JSON (a record begins with "{")',
      'Row is corrupted and cannot be read: it is not valid JSON (from character 14)',
    ]);
  });

  test('bad rows over the threshold fail the batch', async () => {
    const { batch } = await h.ingest({ 'ten.json': tenWithTwoBad() }, { enableErrorDiagnostics: true, partialIngestionPercent: 10 });
    expect(batch.status).toBe('failed');
    expect(batch.metrics).toMatchObject({ inputRecordCount: 10, outputRecordCount: 0, failedRecordCount: 10 });
    expect(batch.errors[0]).toMatchObject({ code: 'INGEST-1212-400', description: expect.stringContaining('threshold of 10%') });
  });

  test('exactly at the threshold still succeeds', async () => {
    const { batch } = await h.ingest({ 'ten.json': tenWithTwoBad() }, { partialIngestionPercent: 20 });
    expect(batch.status).toBe('success');
    // Without diagnostics Catalog gives the summary code only, no per-code counts.
    expect(batch.errors[0].code).toBe('INGEST-1211-400');
    expect(batch.errors.every((e: Json) => e.recordCount === undefined)).toBe(true);
  });

  test('row errors are listed and downloadable under meta?path=row_errors', async () => {
    const { id } = await h.ingest({ 'ten.json': tenWithTwoBad() }, { enableErrorDiagnostics: true, partialIngestionPercent: 50 });
    const listing = await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=row_errors`);
    expect(listing.status).toBe(200);
    expect(listing.json._page).toEqual({ limit: 100, count: 2 });
    const names = listing.json.data.map((d: Json) => d.name);
    expect(names).toEqual(['conversion_errors_0.json', 'parsing_errors_0.json']);

    const parsingHref = new URL(listing.json.data[1]._links.self.href);
    const parsing = await h.call('GET', parsingHref.pathname + parsingHref.search);
    expect(parsing.status).toBe(200);
    expect(Number(listing.json.data[1].length)).toBe(Buffer.byteLength(parsing.text));
    const [corrupt] = parsing.text.trim().split('\n').map((l) => JSON.parse(l));
    // Adobe's documented shape, and nothing more: no input file, no row number.
    expect(corrupt).toEqual({ _corrupt_record: '{not json', _errors: [{ code: '1401', message: expect.stringContaining('corrupted') }], _filename: 'parsing_errors_0.json' });

    const conversion = await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=${encodeURIComponent('row_errors/conversion_errors_0.json')}`);
    const [missing] = conversion.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(missing).sort()).toEqual(['_corrupt_record', '_errors', '_filename']);
    expect(missing._errors).toEqual([{ code: '1555', message: 'Required field timestamp is missing.' }]);
    expect(missing._filename).toBe('conversion_errors_0.json');
  });

  test('without diagnostics there are no row error files', async () => {
    const { id } = await h.ingest({ 'ten.json': tenWithTwoBad() }, { partialIngestionPercent: 50 });
    const listing = await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=row_errors`);
    expect(listing.json).toEqual({ data: [], _page: { limit: 100, count: 0 } });
    expect((await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=row_errors/parsing_errors_0.json`)).status).toBe(404);
    expect((await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=../batch.a.json`)).status).toBe(404);
  });

  test('what lands is only the good records, for JSON Lines and for arrays', async () => {
    const array = JSON.stringify([goodRecord(1), { _id: 'bad' }, goodRecord(2)]);
    const { id } = await h.ingest({ 'lines.json': tenWithTwoBad(), 'array.json': array }, { partialIngestionPercent: 50 });
    const files = await h.call('GET', `/data/foundation/export/batches/${id}/files`);
    const downloaded: Record<string, string> = {};
    for (const entry of files.json.data) {
      const listing = await h.call('GET', `/data/foundation/export/files/${entry.dataSetFileId}`);
      const href = new URL(listing.json.data[0]._links.self.href);
      downloaded[listing.json.data[0].name] = (await h.call('GET', href.pathname + href.search)).text;
    }
    const landedLines = downloaded['lines.json'].trim().split('\n').map((l) => JSON.parse(l));
    expect(landedLines.map((r) => r._id)).toEqual(Array.from({ length: 8 }, (_, i) => `id-${i + 1}`));
    expect(JSON.parse(downloaded['array.json']).map((r: Json) => r._id)).toEqual(['id-1', 'id-2']);
  });

  test('a file without bad rows is served as uploaded', async () => {
    const content = jsonLines([goodRecord(1), goodRecord(2)]);
    const { id } = await h.ingest({ 'clean.json': content }, { partialIngestionPercent: 5 });
    const reply = await h.call('GET', `/data/foundation/export/files/${id}-1?path=clean.json`);
    expect(reply.text).toBe(content);
  });
});
