import { once } from 'node:events';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DecompressStage } from '../../src/prep/decompress';
import { prepareFile } from '../../src/prep/prepare';
import { plan } from './prep-harness';

const MiB = 1024 * 1024;

describe('DecompressStage', () => {
  it('inflates no faster than it is read: a small file that inflates to 64 MiB holds little', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB, 0x20));
    expect(bomb.length).toBeLessThan(MiB);
    const stage = new DecompressStage('auto', 'bomb.json.gz');
    stage.write(bomb);
    stage.end();
    // Nobody reads for a while: zlib must stop once the stage's output is full.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 100));
    expect(stage.readableLength).toBeLessThan(MiB);
    let total = 0;
    stage.on('data', (c: Buffer) => (total += c.length));
    await once(stage, 'end');
    expect(total).toBe(64 * MiB);
    expect(stage.inflated).toBe(64 * MiB);
  });

  it('passes bytes that are not gzip unchanged, even a file shorter than the magic bytes', async () => {
    for (const content of ['{"a":1}\n', 'x', '']) {
      const stage = new DecompressStage('auto', 'f.json');
      const out: Buffer[] = [];
      stage.on('data', (c: Buffer) => out.push(c));
      stage.end(Buffer.from(content));
      await once(stage, 'end');
      expect(Buffer.concat(out).toString()).toBe(content);
      expect(stage.gzip).toBe(false);
    }
  });

  it('fails a gzip file that inflates past format.maxInflatedSize, with the limit in the reason', async () => {
    const bytes = gzipSync(Buffer.from('{"a":1}\n'.repeat(500_000)));
    const p = plan({ format: { type: 'json', maxInflatedSize: '1MB' } });
    const read = async () => {
      const prepared = await prepareFile(Readable.from([bytes]), { path: 'big.json.gz', size: bytes.length }, { prep: p });
      for await (const chunk of prepared.body) void chunk;
    };
    await expect(read()).rejects.toMatchObject({
      code: 'ERR_PREP_GZIP_TOO_LARGE',
      kind: 'data',
      message: 'big.json.gz: the gzip stream inflates to more than 1000000 bytes (format.maxInflatedSize); it is not read further',
    });
  });
});
