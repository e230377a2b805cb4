import { prepareFile } from '../../src/prep/prepare';
import { gzip, plan, source } from './prep-harness';
import { writeParquet } from './parquet-writer';

const SCHEMA = {
  type: 'object',
  required: ['sku', 'price'],
  properties: {
    sku: { type: 'string' },
    price: { type: 'number', minimum: 0 },
    stock: { type: 'integer' },
    active: { type: 'boolean' },
    launched: { type: 'string', format: 'date' },
    updated: { type: 'string', format: 'date-time' },
  },
};

const FILE = writeParquet([
  { name: 'sku', type: 'string', values: ['A1', 'B2', 'C3'] },
  { name: 'price', type: 'double', values: [1.5, -2, null] },
  { name: 'stock', type: 'int64', values: [10n, 20n, 30n] },
  { name: 'active', type: 'boolean', values: [true, false, true] },
  { name: 'launched', type: 'date', values: [19844, 19845, 19846] },
  { name: 'updated', type: 'timestamp', values: [1714557600000n, 1714557600000n, 1714557600000n] },
]);

async function read(bytes: Buffer, name: string, datasetSchema?: Record<string, unknown>) {
  const p = plan({ format: { type: 'parquet' } }, { datasetSchema });
  const prepared = await prepareFile(source(bytes, 1000), { path: name, size: bytes.length }, { prep: p });
  const chunks: Buffer[] = [];
  for await (const c of prepared.body) chunks.push(c as Buffer);
  return { prepared, body: Buffer.concat(chunks), stats: prepared.stats() };
}

describe('Parquet', () => {
  it('is sent unchanged with its size and record count, and checked row by row against the schema', async () => {
    const { prepared, body, stats } = await read(FILE, 'p.parquet', SCHEMA);
    expect(body.equals(FILE)).toBe(true);
    expect(prepared.size).toBe(FILE.length);
    expect(stats).toMatchObject({ records: 3, bytesRead: FILE.length });
    expect(stats.firstRecords?.[0]).toEqual({ sku: 'A1', price: 1.5, stock: 10, active: true, launched: '2024-05-01', updated: '2024-05-01T10:00:00.000Z' });
    expect(stats.rowErrors.map((e) => [e.rowNumber, e.code, e.path])).toEqual([
      [2, 'XDM', 'price'],
      [3, '1555', 'price'],
    ]);
  });

  it('is read from gzip too, and fails a file that is not Parquet', async () => {
    const { stats } = await read(gzip(FILE), 'p.parquet.gz');
    expect(stats.records).toBe(3);
    await expect(read(Buffer.from('{"not":"parquet"}'), 'bad.parquet')).rejects.toMatchObject({ code: 'ERR_PREP_PARQUET', kind: 'data' });
  });
});
