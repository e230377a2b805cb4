import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ByteCounter } from '../../src/prep/stream-parts';

async function pieces(input: Buffer[], pieceBytes: number): Promise<{ sizes: number[]; bytes: Buffer; counted: number }> {
  const counter = new ByteCounter(pieceBytes);
  const out: Buffer[] = [];
  // 'data' sees each piece pushed (an async iterator would join what is buffered).
  counter.on('data', (piece: Buffer) => out.push(piece));
  await finished(Readable.from(input).pipe(counter));
  return { sizes: out.map((b) => b.length), bytes: Buffer.concat(out), counted: counter.bytes };
}

describe('ByteCounter', () => {
  test('gathers small pieces into pieces of at least pieceBytes, in order, counting every byte', async () => {
    const input = Array.from({ length: 10 }, (_, i) => Buffer.alloc(30, i));
    const r = await pieces(input, 100);
    expect(r.sizes).toEqual([120, 120, 60]);
    expect(r.bytes.equals(Buffer.concat(input))).toBe(true);
    expect(r.counted).toBe(300);
  });

  test('passes large pieces as they are, after what it held', async () => {
    const big = Buffer.alloc(250, 7);
    const r = await pieces([Buffer.alloc(10, 1), big, big], 100);
    expect(r.sizes).toEqual([260, 250]);
    expect(r.counted).toBe(510);
  });

  test('an empty source gives nothing', async () => {
    expect(await pieces([], 100)).toEqual({ sizes: [], bytes: Buffer.alloc(0), counted: 0 });
  });
});
