import { checkFilePath } from '../../src/emulator/safe-path';
import { archivePath, folderRelative, uploadName } from '../../src/run/source-paths';

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

  test('upload names: readable, accepted by Platform, and never two alike', () => {
    const names = ODD.map((n) => uploadName('', n));
    expect(names[0]).toBe('good.json');
    expect(names[1]).toBe(' spaced name.json');
    expect(names[2]).toMatch(/^x_y~[0-9a-f]{8}\.json$/);
    expect(names[7]).toMatch(/^a_b~[0-9a-f]{8}\.json$/);
    expect(names[10]).toBe(NFC);
    expect(names[11]).toMatch(/^café~[0-9a-f]{8}\.json$/);
    expect(names[14]).toBe('deep/dir/ü/x.json');
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(() => checkFilePath(name)).not.toThrow();
      for (const segment of name.split('/')) expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
    }
    // The same file always gets the same name (a retried upload replaces, never adds).
    expect(ODD.map((n) => uploadName('', n))).toEqual(names);
    expect(uploadName('in', 'in/x:y.json')).toBe(uploadName('', 'x:y.json'));
  });
});
