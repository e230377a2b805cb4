import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { localConnector } from '../../connectors/local';
import { copyThenUnlink } from '../../connectors/local/local-connector';
import { localErrorKind } from '../../connectors/local/errors';
import type { RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/logger';
import { conformanceSuite } from './connector.suite';

let base = '';
const root = () => nodePath.join(base, 'root');
const local = (path: string) => nodePath.join(root(), ...path.split('/'));
const config = localConnector.configSchema.parse({ type: 'local', root: './root' });

conformanceSuite('local', {
  async setup() {
    base = await fsp.mkdtemp(nodePath.join(os.tmpdir(), 'dataflowd-local-'));
    await fsp.mkdir(root());
  },
  // A relative root, resolved against baseDir like any relative path in the config.
  create: () => localConnector.create(config, { logger: silentLogger, baseDir: base }),
  traits: localConnector.traits(config),
  capabilities: { remove: true, move: true, check: true },
  folders: 'real',
  rootFolder: 'suite',
  async put(path, data) {
    await fsp.mkdir(nodePath.dirname(local(path)), { recursive: true });
    await fsp.writeFile(local(path), data);
  },
  mkdir: async (path) => void (await fsp.mkdir(local(path), { recursive: true })),
  remove: (path) => fsp.unlink(local(path)),
  read: (path) => fsp.readFile(local(path)).catch(() => undefined),
  setModifiedAt: (path, at) => fsp.utimes(local(path), at, at),
  clockToleranceMs: 1_000,
  cleanup: () => fsp.rm(base, { recursive: true, force: true }),
});

describe('local connector specifics', () => {
  let dir = '';
  let outside = '';
  let connector: SourceConnector;
  const signal = new AbortController().signal;

  async function paths(folder: string, recursive = true): Promise<string[]> {
    const out: RemoteFile[] = [];
    for await (const file of connector.list(folder, { recursive, signal })) out.push(file);
    return out.map((f) => f.path).sort();
  }

  async function kindOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      return err instanceof DataflowError ? err.kind : `not a DataflowError: ${String(err)}`;
    }
    return 'resolved';
  }

  beforeAll(async () => {
    dir = await fsp.mkdtemp(nodePath.join(os.tmpdir(), 'dataflowd-local-x-'));
    outside = nodePath.join(dir, 'outside');
    const inbox = nodePath.join(dir, 'inbox');
    await fsp.mkdir(nodePath.join(outside, 'secrets'), { recursive: true });
    await fsp.writeFile(nodePath.join(outside, 'passwd'), 'root:x:0:0');
    await fsp.writeFile(nodePath.join(outside, 'secrets', 'key'), 'k');
    await fsp.mkdir(nodePath.join(inbox, 'data', 'deep'), { recursive: true });
    await fsp.writeFile(nodePath.join(inbox, 'data', 'a.json'), 'a');
    await fsp.writeFile(nodePath.join(inbox, 'data', 'deep', 'b.json'), 'b');
    await fsp.symlink(nodePath.join(inbox, 'data', 'a.json'), nodePath.join(inbox, 'alias.json'));
    await fsp.symlink(nodePath.join(inbox, 'data'), nodePath.join(inbox, 'data-link'));
    await fsp.symlink(nodePath.join(outside, 'passwd'), nodePath.join(inbox, 'passwd'));
    await fsp.symlink(outside, nodePath.join(inbox, 'escape'));
    await fsp.symlink(inbox, nodePath.join(inbox, 'data', 'deep', 'loop'));
    await fsp.symlink(nodePath.join(inbox, 'nowhere'), nodePath.join(inbox, 'dangling.json'));
    connector = await localConnector.create({ type: 'local', root: inbox }, { logger: silentLogger, baseDir: '/nonexistent' });
  });

  afterAll(async () => {
    await connector.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test('follows symlinks that stay inside the root, skips the others and stops at loops', async () => {
    expect(await paths('')).toEqual([
      'alias.json',
      'data-link/a.json',
      'data-link/deep/b.json',
      'data/a.json',
      'data/deep/b.json',
      // data/deep/loop leads back to the root, which is being walked: not entered.
    ]);
    expect(await paths('', false)).toEqual(['alias.json']);
  });

  test('a symlink to outside the root is not found for every operation', async () => {
    expect(await connector.stat('passwd', { signal })).toBeUndefined();
    expect(await kindOf(connector.open('passwd', { signal }))).toBe('not_found');
    expect(await kindOf(paths('escape'))).toBe('not_found');
    expect(await kindOf(connector.open('escape/passwd', { signal }))).toBe('not_found');
    expect(await kindOf(connector.remove!('escape/passwd', { signal }))).toBe('not_found');
    expect(await kindOf(connector.move!('data/a.json', 'escape/stolen.json', { signal }))).toBe('not_found');
    expect(await fsp.readFile(nodePath.join(outside, 'passwd'), 'utf8')).toBe('root:x:0:0');
    expect(await fsp.readFile(nodePath.join(dir, 'inbox', 'data', 'a.json'), 'utf8')).toBe('a');
  });

  test('reads a small file in reads of its size, a large one in 1 MiB reads', async () => {
    const inbox = nodePath.join(dir, 'inbox');
    await fsp.writeFile(nodePath.join(inbox, 'small.json'), Buffer.alloc(100_000, 0x61));
    await fsp.writeFile(nodePath.join(inbox, 'large.json'), Buffer.alloc(3 * 1024 * 1024, 0x62));
    const readSize = async (path: string) => {
      const stream = await connector.open(path, { signal });
      const size = stream.readableHighWaterMark;
      let bytes = 0;
      for await (const piece of stream) bytes += (piece as Buffer).length;
      return [size, bytes];
    };
    // Node allocates a read's whole buffer every time, the read that finds the end included.
    expect(await readSize('small.json')).toEqual([100_000, 100_000]);
    expect(await readSize('large.json')).toEqual([1024 * 1024, 3 * 1024 * 1024]);
    await Promise.all(['small.json', 'large.json'].map((name) => fsp.rm(nodePath.join(inbox, name))));
  });

  test('a missing root is not_found for check and list', async () => {
    const missing = await localConnector.create({ type: 'local', root: 'absent' }, { logger: silentLogger, baseDir: dir });
    expect(await kindOf(missing.check!({ signal }))).toBe('not_found');
    const files = missing.list('', { recursive: false, signal })[Symbol.asyncIterator]();
    expect(await kindOf(files.next())).toBe('not_found');
  });

  test('listing a file rather than a folder is not_found', async () => {
    expect(await kindOf(paths('data/a.json'))).toBe('not_found');
  });

  test('the config schema takes only type and root', () => {
    expect(localConnector.configSchema.safeParse({ type: 'local', root: '/data' }).success).toBe(true);
    expect(localConnector.configSchema.safeParse({ type: 'local', root: '/data', extra: 1 }).success).toBe(false);
    expect(localConnector.configSchema.safeParse({ type: 'local' }).success).toBe(false);
    expect(localConnector.configSchema.safeParse({ type: 'sftp', root: '/data' }).success).toBe(false);
    expect(localConnector.configSchema.safeParse({ type: 'local', root: '' }).success).toBe(false);
  });

  test('a move across devices copies, keeps the modification time, and removes the source', async () => {
    // /dev/shm is a tmpfs on Linux: a different device from the temp folder on most machines.
    const from = await fsp.mkdtemp(nodePath.join((await fsp.stat('/dev/shm').catch(() => undefined)) ? '/dev/shm' : dir, 'dataflowd-'));
    try {
      const source = nodePath.join(from, 'src.bin');
      const target = nodePath.join(dir, 'moved.bin');
      await fsp.writeFile(source, Buffer.alloc(100_000, 3));
      const mtime = new Date('2022-02-02T02:02:02.222Z');
      await fsp.utimes(source, mtime, mtime);
      await copyThenUnlink(source, target, signal);
      expect(await fsp.readFile(target)).toEqual(Buffer.alloc(100_000, 3));
      expect(Math.round((await fsp.stat(target)).mtimeMs)).toBe(mtime.getTime());
      await expect(fsp.stat(source)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      await fsp.rm(from, { recursive: true, force: true });
    }
  });

  test.each([
    ['ENOENT', 'not_found'],
    ['ENOTDIR', 'not_found'],
    ['EACCES', 'permission'],
    ['EPERM', 'permission'],
    ['EMFILE', 'transient'],
    ['EBUSY', 'transient'],
    ['EAGAIN', 'transient'],
    ['EIO', 'transient'],
    ['ELOOP', 'config'],
    ['ENOTSUP', 'unsupported'],
    ['ESOMETHINGNEW', 'transient'],
  ])('errno %s is a %s error', (code, kind) => {
    expect(localErrorKind(Object.assign(new Error(code), { code }))).toBe(kind);
  });
});
