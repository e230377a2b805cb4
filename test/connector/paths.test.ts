import {
  isWithinFolder,
  joinRemotePath,
  normalizeRemotePath,
  relativeToFolder,
  remoteBasename,
  remoteDirname,
  remotePathProblem,
  UNSAFE_PATH_CODE,
} from '../../src/connector/paths';
import { DataflowError } from '../../src/lib/errors';

function thrown(fn: () => unknown): DataflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DataflowError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('normalizeRemotePath', () => {
  test.each([
    ['', ''],
    ['/', ''],
    ['.', ''],
    ['a', 'a'],
    ['/outbound/purchases', 'outbound/purchases'],
    ['outbound/purchases/', 'outbound/purchases'],
    ['a//b///c', 'a/b/c'],
    ['./a/./b', 'a/b'],
    ['a b/c é/日本.json', 'a b/c é/日本.json'],
    ['a.b..c/...d', 'a.b..c/...d'],
    ['a\\b', 'a\\b'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeRemotePath(input)).toBe(expected);
  });

  test.each(['x:y.json', 'c:x', 'a:b/c.json', 'in/d:/x.json'])('takes %j: a colon is an ordinary character in a name on the storage we read', (input) => {
    expect(remotePathProblem(input)).toBeUndefined();
    expect(normalizeRemotePath(input)).toBe(input);
  });

  test.each([
    ['..', "'..'"],
    ['../x', "'..'"],
    ['a/../../x', "'..'"],
    ['a/b/..', "'..'"],
    ['/../etc/passwd', "'..'"],
    ['..\\x', "'..'"],
    ['a\\..\\..\\x', "'..'"],
    ['a\0b', 'NUL'],
    ['C:/Windows', 'drive-letter'],
    ['c:\\x', 'drive-letter'],
    ['d:', 'drive-letter'],
    ['\\\\server\\share', 'UNC'],
    ['//server/share', 'UNC'],
  ])('rejects %j (%s) as a config error', (input, reason) => {
    const err = thrown(() => normalizeRemotePath(input));
    expect(err.kind).toBe('config');
    expect(err.code).toBe(UNSAFE_PATH_CODE);
    expect(err.message).toContain(reason);
    expect(err.context).toEqual({ path: input });
    expect(remotePathProblem(input)).toBeDefined();
  });
});

describe('joinRemotePath', () => {
  test.each([
    [['', 'a.json'], 'a.json'],
    [['in', 'a.json'], 'in/a.json'],
    [['/in/', '/2024/', 'a.json'], 'in/2024/a.json'],
    [['in', 'sub/a.json'], 'in/sub/a.json'],
    [['in', ''], 'in'],
  ])('%j → %j', (parts, expected) => {
    const [folder, ...names] = parts;
    expect(joinRemotePath(folder, ...names)).toBe(expected);
  });

  test('rejects a name that climbs out of the folder', () => {
    expect(thrown(() => joinRemotePath('in', '../secret')).kind).toBe('config');
    expect(thrown(() => joinRemotePath('../in', 'a')).kind).toBe('config');
  });
});

describe('dirname, basename, within, relative', () => {
  test('dirname and basename', () => {
    expect(remoteDirname('a/b/c.json')).toBe('a/b');
    expect(remoteDirname('c.json')).toBe('');
    expect(remoteBasename('a/b/c.json')).toBe('c.json');
    expect(remoteBasename('c.json')).toBe('c.json');
  });

  test('isWithinFolder compares whole segments', () => {
    expect(isWithinFolder('', 'a/b')).toBe(true);
    expect(isWithinFolder('a', 'a/b')).toBe(true);
    expect(isWithinFolder('a', 'a')).toBe(true);
    expect(isWithinFolder('a', 'ab/c')).toBe(false);
    expect(isWithinFolder('a/b', 'a')).toBe(false);
  });

  test('relativeToFolder', () => {
    expect(relativeToFolder('in', 'in/2024/a.json')).toBe('2024/a.json');
    expect(relativeToFolder('', 'in/a.json')).toBe('in/a.json');
    expect(relativeToFolder('in', 'in')).toBe('');
    const err = thrown(() => relativeToFolder('in', 'inbox/a.json'));
    expect(err.kind).toBe('config');
  });
});
