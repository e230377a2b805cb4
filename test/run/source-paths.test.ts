import { checkFilePath } from '../../src/emulator/safe-path';
import { archivePath, folderRelative, uploadNames } from '../../src/run/source-paths';

/** The path forms of a source file (src/run/source-paths.ts), on the odd cases people have. */

const NFC = 'café.json'.normalize('NFC');
const NFD = 'café.json'.normalize('NFD');
const ODD = [
  'good.json',
  ' spaced name.json',
  'x:y.json',
  '#hash.json',
  '%25pct.json',
  'q?.json',
  '-dash.json',
  'a\\b.json',
  'tab\there.json',
  'star*.json',
  NFC,
  NFD,
  `${'L'.repeat(250)}.json`,
  `${'é'.repeat(200)}.json`,
  'deep/dir/ü/x.json',
];

describe('source paths', () => {
  test('folder-relative: the root folder, leading and trailing slashes, nested folders', () => {
    expect(folderRelative('', 'a.json')).toBe('a.json');
    expect(folderRelative('/', 'in/a.json')).toBe('in/a.json');
    expect(folderRelative('/in/', 'in/2024/a.json')).toBe('2024/a.json');
    expect(folderRelative('in/sub', 'in/sub/ü.json')).toBe('ü.json');
    expect(() => folderRelative('in', 'inbox/a.json')).toThrow(/not inside folder "in"/);
    expect(() => folderRelative('in/../etc', 'etc/passwd')).toThrow(/'\.\.' segment/);
  });

  test('archive path: moveTo plus the folder-relative path', () => {
    expect(archivePath('in', '/done/', 'in/2024/a.json')).toBe('done/2024/a.json');
    expect(archivePath('', 'done', 'a b.json')).toBe('done/a b.json');
    expect(archivePath('in', undefined, 'in/a.json')).toBe('a.json');
    expect(() => archivePath('in', '../out', 'in/a.json')).toThrow(/'\.\.' segment/);
  });

  test('upload names: readable, saying what they hold, accepted by Platform, and never two alike in a batch', () => {
    const names = uploadNames('', ODD, 'json');
    const of = (n: string) => names.get(n) as string;
    expect(of('good.json')).toBe('good.json');
    expect(of(' spaced name.json')).toBe(' spaced name.json');
    expect(of('x:y.json')).toBe('x_y.json');
    expect(of('a\\b.json')).toBe('a_b.json');
    expect(of(NFC)).toBe(NFC);
    // NFD normalises to the NFC name, which its NFC twin keeps: the NFD one is told apart.
    expect(of(NFD)).toMatch(/^café~[0-9a-f]{8}\.json$/);
    expect(of('deep/dir/ü/x.json')).toBe('deep/dir/ü/x.json');
    expect(new Set(names.values()).size).toBe(ODD.length);
    for (const name of names.values()) {
      expect(() => checkFilePath(name)).not.toThrow();
      for (const segment of name.split('/')) expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
    }
    // The same batch always gets the same names (a retried upload replaces, never adds).
    expect(uploadNames('', [...ODD].reverse(), 'json')).toEqual(names);
    expect(uploadNames('in', ['in/x:y.json'], 'json').get('in/x:y.json')).toBe('x_y.json');
  });

  test('upload names end in what the upload holds; a name that would clash gets a hash', () => {
    const names = uploadNames('in', ['in/a.csv', 'in/a.csv.json', 'in/b.JSON', 'in/x:y.csv', 'in/x?y.csv'], 'json');
    expect(names.get('in/a.csv.json')).toBe('a.csv.json');
    expect(names.get('in/a.csv')).toMatch(/^a\.csv~[0-9a-f]{8}\.json$/);
    expect(names.get('in/b.JSON')).toBe('b.JSON');
    const clashing = [names.get('in/x:y.csv'), names.get('in/x?y.csv')];
    expect(clashing.every((n) => /^x_y\.csv~[0-9a-f]{8}\.json$/.test(n as string))).toBe(true);
    expect(new Set(clashing).size).toBe(2);
    expect(uploadNames('', ['p/part-0.parquet', 'p/q.bin'], 'parquet')).toEqual(new Map([['p/part-0.parquet', 'p/part-0.parquet'], ['p/q.bin', 'p/q.bin.parquet']]));
  });
});
