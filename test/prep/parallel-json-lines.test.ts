import { PEOPLE_SCHEMA, plan, prep } from './prep-harness';

/*
 * JSON Lines checked on worker threads must write byte for byte what the main thread writes,
 * with the same counts, row numbers, line numbers and row errors: each input below goes through
 * both, cut into pieces of many sizes (down to one byte, so that every line end is a cut) and
 * fed in chunks of several sizes.
 */

const checked = (format: Record<string, unknown> = {}) => plan({ format: { type: 'json', ...format } }, { datasetSchema: PEOPLE_SCHEMA });
const renamed = () => plan({ format: { type: 'json' }, target: { dataset: 'ds', tenant: { from: '_tmd' } } }, { tenantTo: '_acme', datasetSchema: PEOPLE_SCHEMA });
const mapped = () => plan({ format: { type: 'json' }, mapping: { auto: false, fields: [{ source: 'user.id', target: 'id' }, { source: 'tier', target: '_acme.tier' }] } }, { datasetSchema: PEOPLE_SCHEMA });

const ok = (id: string) => `{"id":"${id}","points":1,"_acme":{"tier":"gold"}}`;
const long = (n: number) => 'x'.repeat(n);

const INPUTS: Array<[string, string | Buffer, () => ReturnType<typeof plan>]> = [
  ['plain records', `${ok('a')}\n${ok('b')}\n${ok('c')}\n`, checked],
  ['schema, JSON and shape errors among good records', `${ok('a')}\n{"id":"b","points":"7","_acme":{"tier":"x"}}\n{"id":\n[1,2]\n"text"\n{"id":"f"}\n${ok('g')}\n`, checked],
  ['CRLF, BOM, blank lines, no line end at the end', `\uFEFF${ok('a')}\r\n\r\n   \n${ok('b')}\r\n\n${ok('c')}`, checked],
  ['blank lines only', '\n\r\n  \n', checked],
  ['an empty file', '', checked],
  ['invalid UTF-8 in one record', Buffer.concat([Buffer.from(`${ok('a')}\n{"id":"b `), Buffer.from([0xc3, 0x28]), Buffer.from(`","_acme":{"tier":"x"}}\n${ok('c')}\n`)]), checked],
  ['multi-byte text', `{"id":"ü€😀","_acme":{"tier":"Jürgen"}}\n${ok('b')}\n`, checked],
  ['a tenant rename', `{"id":"a","_tmd":{"tier":"gold"}}\n{"id":"b","_tmd":{"tier":"x"},"_acme":{"tier":"y"}}\n{"id":"c","points":1.5,"_tmd":{"tier":"s"}}\n`, renamed],
  ['a mapping', `{"user":{"id":"a"},"tier":"gold"}\n{"user":{"id":7},"tier":"x"}\n{"tier":"x"}\n`, mapped],
  [
    'lines over format.maxRecordSize, first, middle and last',
    `{"id":"a","note":"${long(3000)}","_acme":{"tier":"x"}}\n${ok('b')}\n{"id":"c","note":"${long(3000)}"}\n${ok('d')}\n{"id":"e","note":"${long(3000)}"}`,
    () => checked({ maxRecordSize: '1KiB' }),
  ],
];

const cuts = [1, 7, 4096];

describe('JSON Lines on worker threads writes what the main thread writes', () => {
  it.each(INPUTS)('%s', async (_name, content, p) => {
    const serial = await prep(content, p(), 'p.json');
    expect(serial.stats.workers).toBeUndefined();
    for (const blockBytes of cuts) {
      for (const chunkSize of [1, 333, 64 * 1024]) {
        const parallel = await prep(content, p(), 'p.json', chunkSize, { workers: 2, blockBytes, minBytes: 0 });
        expect({ blockBytes, chunkSize, text: parallel.text }).toEqual({ blockBytes, chunkSize, text: serial.text });
        expect({ blockBytes, chunkSize, stats: parallel.stats }).toEqual({ blockBytes, chunkSize, stats: { ...serial.stats, workers: 2 } });
        expect(parallel.empty).toBe(serial.empty);
      }
    }
  });

  it('keeps order, counts and line numbers over many pieces and both workers', async () => {
    const records = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? `{"id":"${i}","points":"bad","_acme":{"tier":"x"}}` : i % 89 === 0 ? '' : ok(String(i))));
    const content = records.join('\n') + '\n';
    const serial = await prep(content, checked(), 'p.json');
    const parallel = await prep(content, checked(), 'p.json', 1000, { workers: 2, blockBytes: 2000, minBytes: 0 });
    expect(parallel.text).toBe(serial.text);
    expect(parallel.stats).toEqual({ ...serial.stats, workers: 2 });
    expect(serial.stats.failed).toBe(52);
    expect(serial.stats.records).toBe(5000 - 56);
    expect(serial.stats.rowErrors[1]).toMatchObject({ rowNumber: 97, lineNumber: 98 });
  });

  it('leaves JSON documents, JSON Lines that need no parsing and small files on the main thread', async () => {
    const opts = { workers: 2, blockBytes: 7, minBytes: 0 };
    const array = await prep(`[\n${ok('a')},\n${ok('b')}\n]\n`, checked(), 'p.json', 5, opts);
    expect(array.records.map((r) => r.id)).toEqual(['a', 'b']);
    expect(array.stats.workers).toBeUndefined();
    const passed = await prep(`${ok('a')}\n`, plan({ format: { type: 'json' } }), 'p.json', 5, opts);
    expect(passed.stats).toMatchObject({ records: 1 });
    expect(passed.stats.workers).toBeUndefined();
    const small = await prep(`${ok('a')}\n`, checked(), 'p.json', 5, { ...opts, minBytes: 1024 });
    expect(small.stats.workers).toBeUndefined();
  });
});
