import { readNumRows } from '../../src/emulator/parquet-footer';
import { Harness } from './emulator-harness';

/** Thrift compact-protocol bits, enough to write a FileMetaData footer by hand. */
function varint(n: bigint): number[] {
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    out.push(byte);
  } while (n > 0n);
  return out;
}
const zigzag = (n: bigint) => varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);

function footer(numRows: bigint): Buffer {
  const name = Buffer.from('schema');
  return Buffer.from([
    0x15, ...zigzag(1n), // 1: version i32
    0x19, 0x1c, // 2: schema list<struct>, one element
    0x48, ...varint(BigInt(name.length)), ...name, // 4: name binary
    0x11, // 5: a boolean field, its value in the header
    0x00, // end of SchemaElement
    0x16, ...zigzag(numRows), // 3: num_rows i64
    0x19, 0x0c, // 4: row_groups, empty list<struct>
    0x00, // end of FileMetaData
  ]);
}

function parquetFile(numRows: bigint): Buffer {
  const meta = footer(numRows);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.from('PAR1'), Buffer.from([1, 2, 3]), meta, length, Buffer.from('PAR1')]);
}

describe('Parquet row count from the footer', () => {
  test.each([0n, 1n, 300_000n, 5_000_000_000n])('reads num_rows %s', (rows) => {
    expect(readNumRows(footer(rows))).toBe(Number(rows));
  });

  test('through a batch: rows counted, a file that is not Parquet fails it', async () => {
    const h = await Harness.start();
    try {
      const ok = await h.ingest({ 'part-0.parquet': parquetFile(42n), 'part-1.parquet': parquetFile(8n) }, { inputFormat: { format: 'parquet' } });
      expect(ok.batch.status).toBe('success');
      expect(ok.batch.metrics).toMatchObject({ inputRecordCount: 50, outputRecordCount: 50, inputFileCount: 2 });

      const bad = await h.ingest({ 'fake.parquet': '{"not": "parquet"}' }, { inputFormat: { format: 'parquet' } });
      expect(bad.batch.status).toBe('failed');
      expect(bad.batch.errors[0].description).toContain('PAR1');
    } finally {
      await h.close();
    }
  });
});
