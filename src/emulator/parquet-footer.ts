import { open } from 'node:fs/promises';

/*
 * The row count of a Parquet file, read from its footer without a Parquet library: the file ends
 * with the FileMetaData struct (Thrift compact protocol), its length (4 bytes, little-endian) and
 * the magic 'PAR1', which also opens the file. FileMetaData's field 3 is num_rows (i64). Columns
 * are not read, so records are counted but not validated against the schema.
 */

const MAGIC = 'PAR1';

export class ParquetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParquetFormatError';
  }
}

export async function parquetRowCount(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) throw new ParquetFormatError('file is too short to be Parquet');
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 8, size - 8);
    if (head.toString('latin1') !== MAGIC || tail.subarray(4).toString('latin1') !== MAGIC) {
      throw new ParquetFormatError('missing PAR1 magic bytes');
    }
    const footerLength = tail.readUInt32LE(0);
    if (footerLength > size - 12) throw new ParquetFormatError('footer length is out of bounds');
    const footer = Buffer.alloc(footerLength);
    await handle.read(footer, 0, footerLength, size - 8 - footerLength);
    return readNumRows(footer);
  } finally {
    await handle.close();
  }
}

/** Walks FileMetaData's fields, skipping all but num_rows. */
export function readNumRows(footer: Buffer): number {
  const reader = new CompactReader(footer);
  let fieldId = 0;
  while (true) {
    const header = reader.byte();
    const type = header & 0x0f;
    if (type === TYPE.STOP) break;
    const delta = header >> 4;
    fieldId = delta === 0 ? reader.zigzag() : fieldId + delta;
    if (fieldId === 3 && type === TYPE.I64) return reader.zigzag();
    reader.skip(type);
  }
  throw new ParquetFormatError('footer has no num_rows');
}

const TYPE = { STOP: 0, TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 };

class CompactReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new ParquetFormatError('footer ends early');
    return this.buf[this.pos++];
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new ParquetFormatError('varint is too long');
  }

  zigzag(): number {
    const n = this.varint();
    return Number((n >> 1n) ^ -(n & 1n));
  }

  skip(type: number): void {
    switch (type) {
      case TYPE.TRUE:
      case TYPE.FALSE:
        return; // a struct field's boolean lives in its header
      case TYPE.BYTE:
        this.pos += 1;
        return;
      case TYPE.I16:
      case TYPE.I32:
      case TYPE.I64:
        this.varint();
        return;
      case TYPE.DOUBLE:
        this.pos += 8;
        return;
      case TYPE.BINARY:
        this.pos += Number(this.varint());
        return;
      case TYPE.LIST:
      case TYPE.SET: {
        const header = this.byte();
        const count = header >> 4 === 15 ? Number(this.varint()) : header >> 4;
        const elementType = header & 0x0f;
        for (let i = 0; i < count; i++) this.skipElement(elementType);
        return;
      }
      case TYPE.MAP: {
        const count = Number(this.varint());
        if (count === 0) return;
        const types = this.byte();
        for (let i = 0; i < count; i++) {
          this.skipElement(types >> 4);
          this.skipElement(types & 0x0f);
        }
        return;
      }
      case TYPE.STRUCT:
        while (true) {
          const header = this.byte();
          if ((header & 0x0f) === TYPE.STOP) return;
          if (header >> 4 === 0) this.zigzag();
          this.skip(header & 0x0f);
        }
      default:
        throw new ParquetFormatError(`unknown thrift type ${type}`);
    }
  }

  /** Inside lists and maps a boolean takes a byte of its own. */
  private skipElement(type: number): void {
    if (type === TYPE.TRUE || type === TYPE.FALSE) this.pos += 1;
    else this.skip(type);
  }
}
