import { plan, prep, PRODUCT_SCHEMA } from './prep-harness';

/*
 * CSV on worker threads must write byte for byte what the main thread writes, with the same
 * row numbers, line numbers, row errors and file errors: each input below goes through both,
 * cut into pieces of many sizes (down to one byte, so that every record end is a cut) and fed
 * in chunks of several sizes.
 */

const products = (csv: Record<string, unknown> = {}) =>
  plan({ format: { type: 'csv', csv }, mapping: { schema: 'p.json', auto: true } }, { mappingSchema: PRODUCT_SCHEMA, datasetSchema: PRODUCT_SCHEMA });

const HEADER = 'sku,name,price,stock,active,launched,updated\n';

const INPUTS: Array<[string, string | Buffer, Record<string, unknown>]> = [
  ['plain rows', HEADER + 'MJ01-A,Tee,1,2,yes,2024-05-01,2024-05-01T10:00:00.000Z\nMJ01-B,Cap,2,3,no,2024-05-02,1714557600000\n', {}],
  ['quoted delimiters, quotes and newlines', HEADER + 'MJ01-A,"two\nlines, ""quoted""",1,,,,\nMJ01-B,"a\r\nb",2,,,,\n"MJ01-C","",3,,,,\n', {}],
  ['CRLF, lone CR, BOM, blank lines', '\uFEFFsku,price\r\nMJ01-A,1\r\n\r\nMJ01-B,2\rMJ01-C,3\r\r\n""\nMJ01-D,4', {}],
  ['conversion, schema and width errors', HEADER + 'MJ01-A,Tee,-1,,,,\nMJ01-B,Tee,"1,000",,,,\nMJ01-C\nMJ01-D,Tee,1,2,maybe,,\nMJ01-E,a,1,2,yes,2024-05-01,x,extra\nMJ01-F,ok,5,,,,\n', {}],
  ['stray quotes spoil their line only', HEADER + 'MJ01-A,ab"c,1,,,,\n"MJ01-B"x,n,2,,,,\n"a"x,"b\n"c\nd",3,,,,\nMJ01-C,fine,4,,,,\n', {}],
  ['no line end at the end', HEADER + 'MJ01-A,Tee,1,,,,\nMJ01-B,Cap,2,,,,', {}],
  ['a header alone', HEADER, {}],
  ['blank lines only', '\n\r\n\n', {}],
  ['an empty file', '', {}],
  ['invalid UTF-8 in one row', Buffer.concat([Buffer.from(`${HEADER}MJ01-A,ok ü,1,,,,\nMJ01-B,bad `), Buffer.from([0xc3, 0x28]), Buffer.from(',2,,,,\nMJ01-C,fine,3,,,,\n')]), {}],
  ['latin1', Buffer.from('sku,name,price\nMJ01-A,Crème brûlée,1\nMJ01-B,Jürgen,2\n', 'latin1'), { encoding: 'latin1' }],
  ['semicolons and single quotes', "sku;name;price\nMJ01-A;'a;b';1\nMJ01-B;'it''s';2\n", { delimiter: ';', quote: "'" }],
];

const FAILING: Array<[string, string]> = [
  ['a quote left open at the end', HEADER + 'MJ01-A,"never closed,1,,,,\nMJ01-B,x,2,,,,\n'],
  ['blank lines before the header', '\n\n' + HEADER + 'MJ01-A,Tee,1,,,,\n'],
  ['a bad header', 'sku,"na"me,price\nMJ01-A,Tee,1\n'],
];

const cuts = [1, 7, 4096];

describe('CSV on worker threads writes what the main thread writes', () => {
  it.each(INPUTS)('%s', async (_name, content, csv) => {
    const p = products(csv);
    const serial = await prep(content, p);
    for (const blockBytes of cuts) {
      for (const chunkSize of [1, 64 * 1024]) {
        const parallel = await prep(content, p, 'file.csv', chunkSize, { workers: 2, blockBytes, minBytes: 0 });
        expect({ blockBytes, chunkSize, text: parallel.text }).toEqual({ blockBytes, chunkSize, text: serial.text });
        expect(parallel.stats).toEqual({ ...serial.stats, workers: 2 });
        expect(parallel.empty).toBe(serial.empty);
      }
    }
  });

  it.each(FAILING)('%s fails the same way', async (_name, content) => {
    const p = products();
    const serial = await prep(content, p).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(serial).toBeDefined();
    for (const blockBytes of cuts) {
      for (const chunkSize of [1, 64 * 1024]) {
        await expect(prep(content, p, 'file.csv', chunkSize, { workers: 2, blockBytes, minBytes: 0 })).rejects.toThrow(serial!);
      }
    }
  });

  it('keeps order and counts over many pieces and both workers', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? `MJ${i},bad,-1,,,,` : `MJ${i},"n\n${i}",${i},${i},yes,2024-05-01,2024-05-01T10:00:00.000Z`));
    const content = HEADER + rows.join('\n') + '\n';
    const p = products();
    const serial = await prep(content, p);
    const parallel = await prep(content, p, 'file.csv', 1000, { workers: 2, blockBytes: 2000, minBytes: 0 });
    expect(parallel.text).toBe(serial.text);
    expect(parallel.stats).toEqual({ ...serial.stats, workers: 2 });
    expect(serial.stats.failed).toBeGreaterThanOrEqual(31);
    expect(serial.stats.records).toBe(3000);
  });
});
