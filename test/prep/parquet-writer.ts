/*
 * A minimal Parquet writer for tests (no Parquet writer is a dependency): one row group, PLAIN
 * encoding, no compression, flat columns, nulls in optional columns. Thrift compact protocol by hand.
 */

export type ParquetColumn =
  | { name: string; type: 'string'; values: Array<string | null> }
  | { name: string; type: 'int32' | 'date'; values: Array<number | null> }
  | { name: string; type: 'int64' | 'timestamp'; values: Array<bigint | null> }
  | { name: string; type: 'double'; values: Array<number | null> }
  | { name: string; type: 'boolean'; values: Array<boolean | null> };

class Thrift {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint): this {
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (n > 0n);
    return this;
  }
  zigzag(n: bigint): this {
    return this.varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
  }
  field(id: number, type: number): this {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(BigInt(id));
    }
    this.last[this.last.length - 1] = id;
    return this;
  }
  i32(id: number, v: number): this {
    return this.field(id, 5).zigzag(BigInt(v));
  }
  i64(id: number, v: number | bigint): this {
    return this.field(id, 6).zigzag(BigInt(v));
  }
  binary(id: number, s: string | Buffer): this {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
    this.field(id, 8).varint(BigInt(b.length));
    this.bytes.push(...b);
    return this;
  }
  listHeader(id: number, size: number, elemType: number): this {
    this.field(id, 9);
    if (size < 15) this.bytes.push((size << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(size));
    }
    return this;
  }
  struct(id: number | undefined, body: (t: Thrift) => void): this {
    if (id !== undefined) this.field(id, 12);
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }
}

const PHYSICAL = { string: 6, int32: 1, date: 1, int64: 2, timestamp: 2, double: 5, boolean: 0 } as const;
const CONVERTED: Partial<Record<ParquetColumn['type'], number>> = { string: 0, date: 6, timestamp: 9 };

function plain(col: ParquetColumn): Buffer {
  const present = (col.values as unknown[]).filter((v) => v !== null);
  switch (col.type) {
    case 'string':
      return Buffer.concat((present as string[]).map((s) => {
        const b = Buffer.from(s);
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        return Buffer.concat([len, b]);
      }));
    case 'int32':
    case 'date':
      return Buffer.concat((present as number[]).map((n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; }));
    case 'int64':
    case 'timestamp':
      return Buffer.concat((present as bigint[]).map((n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(n); return b; }));
    case 'double':
      return Buffer.concat((present as number[]).map((n) => { const b = Buffer.alloc(8); b.writeDoubleLE(n); return b; }));
    case 'boolean': {
      const b = Buffer.alloc(Math.ceil(present.length / 8));
      (present as boolean[]).forEach((v, i) => { if (v) b[i >> 3] |= 1 << (i & 7); });
      return b;
    }
  }
}

/** Definition levels (bit width 1) as RLE runs of one value each, length-prefixed. */
function defLevels(values: unknown[]): Buffer {
  const runs = new Thrift();
  for (const v of values) runs.varint(2n).bytes.push(v === null ? 0 : 1);
  const body = Buffer.from(runs.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

export function writeParquet(columns: ParquetColumn[]): Buffer {
  const rows = columns[0].values.length;
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const chunks: Array<{ col: ParquetColumn; offset: number; size: number; optional: boolean }> = [];
  for (const col of columns) {
    const optional = (col.values as unknown[]).some((v) => v === null);
    const data = Buffer.concat([optional ? defLevels(col.values) : Buffer.alloc(0), plain(col)]);
    const header = new Thrift().struct(undefined, (t) => {
      t.i32(1, 0).i32(2, data.length).i32(3, data.length);
      t.struct(5, (d) => d.i32(1, rows).i32(2, 0).i32(3, 3).i32(4, 3));
    });
    const page = Buffer.concat([Buffer.from(header.bytes), data]);
    chunks.push({ col, offset, size: page.length, optional });
    parts.push(page);
    offset += page.length;
  }
  const meta = new Thrift().struct(undefined, (t) => {
    t.i32(1, 1);
    t.listHeader(2, columns.length + 1, 12);
    t.struct(undefined, (s) => s.binary(4, 'schema').i32(5, columns.length));
    for (const { col, optional } of chunks) {
      t.struct(undefined, (s) => {
        s.i32(1, PHYSICAL[col.type]).i32(3, optional ? 1 : 0).binary(4, col.name);
        const converted = CONVERTED[col.type];
        if (converted !== undefined) s.i32(6, converted);
      });
    }
    t.i64(3, rows);
    t.listHeader(4, 1, 12);
    t.struct(undefined, (rg) => {
      rg.listHeader(1, chunks.length, 12);
      for (const c of chunks) {
        rg.struct(undefined, (cc) => {
          cc.i64(2, c.offset);
          cc.struct(3, (m) => {
            m.i32(1, PHYSICAL[c.col.type]);
            m.listHeader(2, 2, 5).zigzag(0n).zigzag(3n);
            m.listHeader(3, 1, 8).varint(BigInt(Buffer.byteLength(c.col.name))).bytes.push(...Buffer.from(c.col.name));
            m.i32(4, 0).i64(5, rows).i64(6, c.size).i64(7, c.size).i64(9, c.offset);
          });
        });
      }
      rg.i64(2, chunks.reduce((a, c) => a + c.size, 0)).i64(3, rows);
    });
  });
  const footer = Buffer.from(meta.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  parts.push(footer, len, Buffer.from('PAR1'));
  return Buffer.concat(parts);
}
