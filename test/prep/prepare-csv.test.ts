import { gzip, plan, prep, PRODUCT_SCHEMA } from './prep-harness';

const HEADER = 'sku,name,price,stock,active,launched,updated\n';

/** products.csv auto-mapped to PRODUCT_SCHEMA, which is also the dataset's schema. */
const products = (csv: Record<string, unknown> = {}, ingestion: Record<string, unknown> = {}) =>
  plan(
    { format: { type: 'csv', csv }, mapping: { schema: 'p.json', auto: true }, ingestion },
    { mappingSchema: PRODUCT_SCHEMA, datasetSchema: PRODUCT_SCHEMA },
  );

describe('CSV → XDM JSON Lines', () => {
  it('auto-maps columns to schema fields by normalised name and converts each to its type', async () => {
    const out = await prep(HEADER + 'MJ01-S,"Trail Jacket, ""Orion""",74.5,12,yes,2024-05-01,2024-05-01T10:00:00+02:00\n', products());
    expect(out.records).toEqual([
      {
        _acme: {
          product: { sku: 'MJ01-S', name: 'Trail Jacket, "Orion"', price: 74.5, stock: 12, active: true, launched: '2024-05-01', updated: '2024-05-01T08:00:00.000Z' },
        },
      },
    ]);
    expect(out.stats).toMatchObject({ records: 1, failed: 0 });
    expect(out.stats.mapping).toMatchObject({ unmapped: [], ambiguous: [], auto: expect.arrayContaining([{ column: 'price', target: '_acme.product.price' }]) });
    expect(out.size).toBeUndefined();
  });

  it('keeps quoted delimiters and newlines inside fields, and counts lines across them', async () => {
    const csv = HEADER + 'MJ01-A,"two\nlines, and a comma",1,,,,\nMJ01-B,plain,-2,,,,\n';
    const out = await prep(csv, products());
    expect(out.records[0]).toMatchObject({ _acme: { product: { name: 'two\nlines, and a comma' } } });
    expect(out.stats.rowErrors).toEqual([
      { fileName: 'file.csv', rowNumber: 2, lineNumber: 4, column: 'price', path: '_acme.product.price', code: 'XDM', message: expect.stringMatching(/must be >= 0/), value: '-2' },
    ]);
  });

  it('reads CRLF line ends, strips a UTF-8 BOM and skips blank lines', async () => {
    const out = await prep('\uFEFFsku,price\r\nMJ01-A,1\r\n\r\nMJ01-B,2\r\n', products());
    expect(out.records.map((r) => (r._acme as { product: unknown }).product)).toEqual([{ sku: 'MJ01-A', price: 1 }, { sku: 'MJ01-B', price: 2 }]);
    expect(out.stats.mapping?.columns).toEqual(['sku', 'price']);
  });

  it('treats missing trailing columns as empty and refuses rows with extra fields', async () => {
    const out = await prep('sku,price,name\nMJ01-A,1\nMJ01-B\nMJ01-C,3,x,unexpected\n', products());
    expect(out.records).toEqual([{ _acme: { product: { sku: 'MJ01-A', price: 1 } } }]);
    expect(out.stats.rowErrors.map((e) => [e.rowNumber, e.code, e.message])).toEqual([
      [2, '1555', 'required field _acme.product.price is missing'],
      [3, '1401', 'the row has 4 fields but the header has 3'],
    ]);
    expect(out.rejected).toHaveLength(2);
    expect(out.stats).toMatchObject({ records: 3, failed: 2 });
  });

  it('reads latin1 (ISO-8859-1) files', async () => {
    const out = await prep(Buffer.from('sku,name,price\nMJ01-A,Crème brûlée Jürgen,1\n', 'latin1'), products({ encoding: 'latin1' }));
    expect(out.records[0]).toMatchObject({ _acme: { product: { name: 'Crème brûlée Jürgen' } } });
  });

  it('rejects only the row holding invalid UTF-8, naming its column', async () => {
    const bytes = Buffer.concat([Buffer.from('sku,name,price\nMJ01-A,ok ü,1\nMJ01-B,bad '), Buffer.from([0xc3, 0x28]), Buffer.from(',2\nMJ01-C,fine,3\n')]);
    const out = await prep(bytes, products(), 'file.csv', 7);
    expect(out.records.map((r) => (r._acme as { product: { sku: string } }).product.sku)).toEqual(['MJ01-A', 'MJ01-C']);
    expect(out.stats.rowErrors).toEqual([expect.objectContaining({ rowNumber: 2, column: 'name', code: '1401', message: 'column name holds bytes that are not valid UTF-8' })]);
  });

  it('sends nothing for an empty file or a header alone', async () => {
    for (const content of ['', HEADER, '\n\n']) {
      const out = await prep(content, products());
      expect(out).toMatchObject({ empty: true, text: '', records: [], stats: { records: 0, failed: 0 } });
    }
  });

  it('fails the file when the header row is blank (Platform error 118)', async () => {
    await expect(prep('\nsku,price\nMJ01-A,1\n', products())).rejects.toMatchObject({ code: 'ERR_PREP_CSV_HEADER', kind: 'data' });
  });

  it('refuses numbers with thousands separators, with the reason', async () => {
    const out = await prep('sku,price,stock\nMJ01-A,"1,000.50",1\nMJ01-B,2,"12 000"\nMJ01-C,3,1.5\n', products());
    expect(out.records).toEqual([]);
    expect(out.stats.rowErrors.map((e) => [e.column, e.code, e.message])).toEqual([
      ['price', 'MAPPER-3700', 'column price: the value is not a number: thousands separators are not accepted'],
      ['stock', 'MAPPER-3700', 'column stock: the value is not an integer: thousands separators are not accepted'],
      ['stock', 'MAPPER-3700', 'column stock: the value is not an integer'],
    ]);
    expect(out.stats.rowErrors.map((e) => e.value)).toEqual(['"1,000.50"', '"12 000"', '"1.5"']);
  });

  it('reads epoch milliseconds, refuses epoch seconds, and converts offsets to UTC', async () => {
    const csv = 'sku,price,updated\nMJ01-A,1,1714557600000\nMJ01-B,1,1714557600\nMJ01-C,1,2024-05-01T23:30:00-05:00\nMJ01-D,1,2024-02-30T00:00:00Z\n';
    const out = await prep(csv, products());
    expect(out.records.map((r) => (r._acme as { product: { updated: string } }).product.updated)).toEqual(['2024-05-01T10:00:00.000Z', '2024-05-02T04:30:00.000Z']);
    expect(out.stats.rowErrors.map((e) => e.message)).toEqual([
      'column updated: the value looks like epoch seconds, not milliseconds (give format: epoch-seconds, or send milliseconds)',
      'column updated: the day does not exist in its month',
    ]);
  });

  it('honours delimiter, quote and escape options', async () => {
    const out = await prep("sku;name;price\nMJ01-A;'it\\'s; fine';1\n", products({ delimiter: ';', quote: "'", escape: '\\' }));
    expect(out.records[0]).toMatchObject({ _acme: { product: { name: "it's; fine" } } });
  });

  it('rejects a row with a stray quote and reads on; fails the file on an unclosed quote', async () => {
    const stray = await prep('sku,name,price\nMJ01-A,ab"c,1\nMJ01-B,ok,2\n', products());
    expect(stray.records).toHaveLength(1);
    expect(stray.stats.rowErrors).toEqual([expect.objectContaining({ rowNumber: 1, lineNumber: 2, code: '1401' })]);
    await expect(prep('sku,name,price\nMJ01-A,"never closed,1\nMJ01-B,ok,2\n', products())).rejects.toMatchObject({ code: 'ERR_PREP_CSV_SYNTAX', kind: 'data', message: expect.stringMatching(/file\.csv line \d+: .*cannot be read past it/) });
  });

  it('reads a gzip file (by magic bytes) and fails a truncated one with a clear reason', async () => {
    const csv = HEADER + Array.from({ length: 2000 }, (_, i) => `MJ01-${i},n${i},${i},1,no,2024-01-01,2024-01-01T00:00:00Z`).join('\n') + '\n';
    const out = await prep(gzip(csv), products(), 'export.dat');
    expect(out.records).toHaveLength(2000);
    expect(out.stats.bytesRead).toBe(gzip(csv).length);
    const cut = gzip(csv).subarray(0, 3000);
    await expect(prep(cut, products(), 'export.csv.gz')).rejects.toMatchObject({ code: 'ERR_PREP_GZIP_TRUNCATED', kind: 'data', message: expect.stringContaining('export.csv.gz: the gzip stream is truncated') });
  });

  it('handles a 1 MB field on a single line', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const out = await prep(`sku,price,note\nMJ01-A,1,${big}\nMJ01-B,2,short\n`, products(), 'file.csv', 4096);
    expect(out.records).toHaveLength(2);
    expect((out.records[0]._acme as { product: { note: string } }).product.note).toHaveLength(big.length);
  });

  it('maps explicit fields into deeply nested targets and constants, with a date format', async () => {
    const p = plan({
      format: { type: 'csv' },
      mapping: {
        auto: false,
        fields: [
          { source: 'id', target: 'a.b[0].c.d[1].e' },
          { source: 'when', target: 'x.y.when', type: 'date-time', format: 'dd/MM/yyyy hh:mm a' },
          { source: 'qty', target: 'x.y.qty', type: 'integer' },
          { value: 'POS', target: 'channel._type' },
        ],
      },
    });
    const out = await prep('id,when,qty,ignored\n7,31/12/2024 01:30 PM,3,zzz\n', p);
    expect(out.records).toEqual([{ a: { b: [{ c: { d: [null, { e: '7' }] } }] }, x: { y: { when: '2024-12-31T13:30:00.000Z', qty: 3 } }, channel: { _type: 'POS' } }]);
    expect(out.stats.mapping?.unmapped).toEqual(['ignored']);
  });

  it('reports ambiguous columns and leaves them unmapped, and names a missing explicit column', async () => {
    const schema = { type: 'object', properties: { home: { type: 'object', properties: { city: { type: 'string' } } }, work: { type: 'object', properties: { city: { type: 'string' } } }, id: { type: 'string' } } };
    const p = plan({ format: { type: 'csv' }, mapping: { schema: 's.json', fields: [{ source: 'ref', target: 'id' }] } }, { mappingSchema: schema });
    const out = await prep('City,ref_x,Work_City\nParis,1,Lyon\n', p);
    expect(out.records).toEqual([{ work: { city: 'Lyon' } }]);
    expect(out.stats.mapping).toMatchObject({
      ambiguous: [{ column: 'City', candidates: ['home.city', 'work.city'] }],
      unmapped: ['ref_x'],
      missing: [{ column: 'ref', target: 'id' }],
      auto: [{ column: 'Work_City', target: 'work.city' }],
    });
  });

  it('without a header, names columns _c0, _c1, …', async () => {
    const p = plan({ format: { type: 'csv', csv: { header: false } }, mapping: { auto: false, fields: [{ source: '_c1', target: 'v' }] } });
    const out = await prep('a,b\nc,d\n', p);
    expect(out.records).toEqual([{ v: 'b' }, { v: 'd' }]);
  });
});
