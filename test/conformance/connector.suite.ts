import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { joinRemotePath } from '../../src/connector/paths';
import type { ConnectorTraits, RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';

/**
 * What a connector's test file gives the shared suite: a way to make connectors, and a way to
 * change the server's files behind the connector's back. Every path is relative to the
 * connection's root, '/'-separated.
 */
export interface ConformanceHarness {
  /** Starts what the cases need (a server, a temp folder); called once, before every case. */
  setup?(): Promise<void>;
  /** A new connector instance talking to the server. The suite closes what it creates. */
  create(): Promise<SourceConnector>;
  /** What the connector's definition declares for this config (`definition.traits(config)`). */
  traits: ConnectorTraits;
  /** Optional capabilities: true ones must be present, false ones must be absent. */
  capabilities: { remove: boolean; move: boolean; check: boolean };
  /**
   * `real`: folders exist by themselves (local, SFTP, FTP): an empty folder lists empty and a
   * missing one is not_found. `virtual`: folders are key prefixes (S3, Azure Blob): nothing tells
   * a missing folder from an empty one, so both list empty.
   */
  folders: 'real' | 'virtual';
  /** Folder under which the suite writes, '' for the root; each case uses a sub-folder of it. */
  rootFolder: string;
  /** Writes a file on the server, creating its folders, replacing what was there. */
  put(path: string, data: Buffer | string): Promise<void>;
  /** Creates an empty folder on the server (a no-op where folders are virtual). */
  mkdir(path: string): Promise<void>;
  /** Deletes a file on the server. */
  remove(path: string): Promise<void>;
  /** A file's bytes on the server, or undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** Sets a file's modification time on the server, where the protocol allows it. */
  setModifiedAt?(path: string, at: Date): Promise<void>;
  /** How far the server's file times may be from this machine's clock, in ms; default 2000. */
  clockToleranceMs?: number;
  /** Stops and deletes whatever setup started; called once, after every case. */
  cleanup(): Promise<void>;
}

const PROMPT_MS = 5_000;
const BIG = 5 * 1024 * 1024;

function live(): AbortSignal {
  return new AbortController().signal;
}

async function collect(files: AsyncIterable<RemoteFile>): Promise<RemoteFile[]> {
  const out: RemoteFile[] = [];
  for await (const file of files) out.push(file);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function comparable(file: RemoteFile): Record<string, unknown> {
  return { path: file.path, size: file.size, modifiedAt: file.modifiedAt.getTime(), etag: file.etag };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the error the promise rejected with; fails the case when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but it resolved');
}

/** An abort, by name: a signal's DOMException reason is no instance of the test realm's Error. */
function isAbort(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.name === 'AbortError' || e.code === 'ABORT_ERR');
}

function expectKind(err: unknown, ...kinds: string[]): void {
  expect(err).toBeInstanceOf(DataflowError);
  expect(kinds).toContain((err as DataflowError).kind);
}

export function conformanceSuite(name: string, harness: ConformanceHarness): void {
  describe(`${name} connector conformance`, () => {
    let connector: SourceConnector;
    const at = (...parts: string[]) => joinRemotePath(harness.rootFolder, ...parts);

    beforeAll(async () => {
      await harness.setup?.();
      connector = await harness.create();
    });

    afterAll(async () => {
      await connector?.close();
      await harness.cleanup();
    });

    test('declares sane traits and exactly the expected capabilities', () => {
      expect(harness.traits.mtimePrecisionMs).toBeGreaterThanOrEqual(1);
      expect(typeof connector.remove === 'function').toBe(harness.capabilities.remove);
      expect(typeof connector.move === 'function').toBe(harness.capabilities.move);
      expect(typeof connector.check === 'function').toBe(harness.capabilities.check);
    });

    test('lists an empty folder as empty', async () => {
      await harness.mkdir(at('empty'));
      expect(await collect(connector.list(at('empty'), { recursive: false, signal: live() }))).toEqual([]);
      expect(await collect(connector.list(at('empty'), { recursive: true, signal: live() }))).toEqual([]);
    });

    describe('nested folders', () => {
      beforeAll(async () => {
        await harness.put(at('nested', 'top.txt'), 'top');
        await harness.put(at('nested', 'a', 'one.txt'), 'one');
        await harness.put(at('nested', 'a', 'b', 'two.txt'), 'two');
        await harness.mkdir(at('nested', 'empty-sub'));
      });

      test('without recursion lists only the files directly in the folder', async () => {
        const files = await collect(connector.list(at('nested'), { recursive: false, signal: live() }));
        expect(files.map((f) => f.path)).toEqual([at('nested', 'top.txt')]);
      });

      test('with recursion lists every file below, and no folders', async () => {
        const files = await collect(connector.list(at('nested'), { recursive: true, signal: live() }));
        expect(files.map((f) => f.path)).toEqual([at('nested', 'a', 'b', 'two.txt'), at('nested', 'a', 'one.txt'), at('nested', 'top.txt')]);
        for (const file of files) {
          expect(file.path).not.toMatch(/^\/|\/$|\/\//);
        }
      });

      test('a leading slash means the connection root', async () => {
        const plain = await collect(connector.list(at('nested'), { recursive: true, signal: live() }));
        const slashed = await collect(connector.list(`/${at('nested')}/`, { recursive: true, signal: live() }));
        expect(slashed.map(comparable)).toEqual(plain.map(comparable));
      });
    });

    test('reads a 0-byte file', async () => {
      await harness.put(at('zero', 'empty.csv'), Buffer.alloc(0));
      const [file] = await collect(connector.list(at('zero'), { recursive: false, signal: live() }));
      expect(file).toMatchObject({ path: at('zero', 'empty.csv'), size: 0 });
      expect((await connector.stat(at('zero', 'empty.csv'), { signal: live() }))?.size).toBe(0);
      expect((await readAll(await connector.open(at('zero', 'empty.csv'), { signal: live() }))).length).toBe(0);
    });

    test('reads a 5 MB random file byte for byte', async () => {
      const data = randomBytes(BIG);
      await harness.put(at('big', 'random.bin'), data);
      const [file] = await collect(connector.list(at('big'), { recursive: false, signal: live() }));
      expect(file.size).toBe(BIG);
      const read = await readAll(await connector.open(at('big', 'random.bin'), { signal: live() }));
      expect(read.length).toBe(BIG);
      expect(sha256(read)).toBe(sha256(data));
    });

    test('keeps names with spaces, unicode and several dots', async () => {
      const names = ['with space.txt', 'café é.json', '日本 データ.csv', 'luma.2024.01.31.json.gz', 'dossier é/日本.txt'];
      for (const n of names) await harness.put(at('names', n), `content of ${n}`);
      const files = await collect(connector.list(at('names'), { recursive: true, signal: live() }));
      expect(files.map((f) => f.path).sort()).toEqual(names.map((n) => at('names', n)).sort());
      for (const n of names) {
        const content = Buffer.from(`content of ${n}`);
        expect((await connector.stat(at('names', n), { signal: live() }))?.size).toBe(content.length);
        expect(await readAll(await connector.open(at('names', n), { signal: live() }))).toEqual(content);
      }
    });

    test('reports exact sizes and modification times within the declared precision', async () => {
      const precision = harness.traits.mtimePrecisionMs;
      const tolerance = harness.clockToleranceMs ?? 2_000;
      const before = Date.now();
      await harness.put(at('times', 'sized.bin'), Buffer.alloc(12_345, 7));
      const after = Date.now();
      const [listed] = await collect(connector.list(at('times'), { recursive: false, signal: live() }));
      expect(listed.size).toBe(12_345);
      expect(listed.modifiedAt).toBeInstanceOf(Date);
      expect(listed.modifiedAt.getTime()).toBeGreaterThanOrEqual(before - precision - tolerance);
      expect(listed.modifiedAt.getTime()).toBeLessThanOrEqual(after + tolerance);
      if (harness.setModifiedAt) {
        const set = new Date('2021-03-04T05:06:07.891Z');
        await harness.setModifiedAt(at('times', 'sized.bin'), set);
        const [again] = await collect(connector.list(at('times'), { recursive: false, signal: live() }));
        const stat = await connector.stat(at('times', 'sized.bin'), { signal: live() });
        expect(Math.abs(again.modifiedAt.getTime() - set.getTime())).toBeLessThan(precision);
        expect(stat?.modifiedAt.getTime()).toBe(again.modifiedAt.getTime());
      }
    });

    test('lists the same files twice, and stat agrees with the listing', async () => {
      await harness.put(at('twice', 'a.json'), '{"a":1}\n');
      await harness.put(at('twice', 'b.json'), '{"b":2}\n');
      const first = await collect(connector.list(at('twice'), { recursive: true, signal: live() }));
      const second = await collect(connector.list(at('twice'), { recursive: true, signal: live() }));
      expect(second.map(comparable)).toEqual(first.map(comparable));
      for (const file of first) {
        const stat = await connector.stat(file.path, { signal: live() });
        expect(stat && comparable(stat)).toEqual(comparable(file));
        if (harness.traits.etagTracksContent) expect(file.etag).toEqual(expect.any(String));
      }
    });

    test('sees a rewritten file as changed', async () => {
      await harness.put(at('changed', 'c.json'), 'one');
      const before = await connector.stat(at('changed', 'c.json'), { signal: live() });
      await harness.put(at('changed', 'c.json'), 'three!');
      const after = await connector.stat(at('changed', 'c.json'), { signal: live() });
      expect(before?.size).toBe(3);
      expect(after?.size).toBe(6);
      expect(after!.modifiedAt.getTime()).toBeGreaterThanOrEqual(before!.modifiedAt.getTime());
      if (harness.traits.etagTracksContent) expect(after?.etag).not.toEqual(before?.etag);
      expect((await readAll(await connector.open(at('changed', 'c.json'), { signal: live() }))).toString()).toBe('three!');
    });

    test('stat is undefined for a missing file and for a folder', async () => {
      await harness.put(at('stat', 'sub', 'f.txt'), 'f');
      expect(await connector.stat(at('stat', 'missing.txt'), { signal: live() })).toBeUndefined();
      expect(await connector.stat(at('stat', 'sub'), { signal: live() })).toBeUndefined();
      expect(await connector.stat(at('stat', 'sub', 'f.txt'), { signal: live() })).toMatchObject({ path: at('stat', 'sub', 'f.txt'), size: 1 });
    });

    test('a file removed between list and open is not_found on open', async () => {
      await harness.put(at('vanish', 'gone.json'), '{}');
      const files = await collect(connector.list(at('vanish'), { recursive: false, signal: live() }));
      expect(files.map((f) => f.path)).toEqual([at('vanish', 'gone.json')]);
      await harness.remove(at('vanish', 'gone.json'));
      expectKind(await rejection(connector.open(at('vanish', 'gone.json'), { signal: live() })), 'not_found');
      expect(await connector.stat(at('vanish', 'gone.json'), { signal: live() })).toBeUndefined();
    });

    test('a missing folder is not_found on list (or empty where folders are virtual)', async () => {
      const listing = collect(connector.list(at('no-such-folder'), { recursive: true, signal: live() }));
      if (harness.folders === 'real') expectKind(await rejection(listing), 'not_found');
      else expect(await listing).toEqual([]);
    });

    test('abort during a listing rejects promptly, and the connector still lists afterwards', async () => {
      const count = 40;
      for (let i = 0; i < count; i++) await harness.put(at('abort-list', `f${String(i).padStart(3, '0')}.txt`), `${i}`);
      const controller = new AbortController();
      const iterator = connector.list(at('abort-list'), { recursive: true, signal: controller.signal })[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      controller.abort();
      const drain = (async () => {
        while (!(await iterator.next()).done);
      })();
      expect(isAbort(await within(rejection(drain), PROMPT_MS, 'list abort'))).toBe(true);

      const aborted = new AbortController();
      aborted.abort();
      expect(isAbort(await rejection(collect(connector.list(at('abort-list'), { recursive: true, signal: aborted.signal }))))).toBe(true);
      expect(await collect(connector.list(at('abort-list'), { recursive: true, signal: live() }))).toHaveLength(count);
    });

    test('abort during a read destroys the stream promptly, and the connector still reads afterwards', async () => {
      const data = randomBytes(BIG);
      await harness.put(at('abort-read', 'big.bin'), data);
      const controller = new AbortController();
      const stream = await connector.open(at('abort-read', 'big.bin'), { signal: controller.signal });
      const closed = new Promise<void>((resolve) => stream.once('close', resolve));
      const errors: unknown[] = [];
      stream.on('error', (err) => errors.push(err));
      await new Promise((resolve) => stream.once('data', resolve));
      stream.pause();
      controller.abort();
      await within(closed, PROMPT_MS, 'stream close after abort');
      expect(stream.destroyed).toBe(true);
      expect(errors.every(isAbort)).toBe(true);

      const aborted = new AbortController();
      aborted.abort();
      expect(isAbort(await rejection(connector.open(at('abort-read', 'big.bin'), { signal: aborted.signal })))).toBe(true);
      const again = await readAll(await connector.open(at('abort-read', 'big.bin'), { signal: live() }));
      expect(sha256(again)).toBe(sha256(data));
    });

    test('remove deletes a file (when supported)', async () => {
      if (!harness.capabilities.remove) {
        expect(connector.remove).toBeUndefined();
        return;
      }
      await harness.put(at('remove', 'r.txt'), 'r');
      await connector.remove!(at('remove', 'r.txt'), { signal: live() });
      expect(await harness.read(at('remove', 'r.txt'))).toBeUndefined();
      expect(await connector.stat(at('remove', 'r.txt'), { signal: live() })).toBeUndefined();
      expectKind(await rejection(connector.remove!(at('remove', 'r.txt'), { signal: live() })), 'not_found');
    });

    test('move renames a file into a folder that does not exist yet (when supported)', async () => {
      if (!harness.capabilities.move) {
        expect(connector.move).toBeUndefined();
        return;
      }
      await harness.put(at('move', 'in.json'), 'payload');
      await connector.move!(at('move', 'in.json'), at('move', 'done', '2024', 'in.json'), { signal: live() });
      expect(await harness.read(at('move', 'in.json'))).toBeUndefined();
      expect((await harness.read(at('move', 'done', '2024', 'in.json')))?.toString()).toBe('payload');
      expect(await connector.stat(at('move', 'done', '2024', 'in.json'), { signal: live() })).toMatchObject({ size: 7 });
      expectKind(await rejection(connector.move!(at('move', 'in.json'), at('move', 'x.json'), { signal: live() })), 'not_found');
    });

    test('check passes against a reachable server (when supported)', async () => {
      if (!harness.capabilities.check) {
        expect(connector.check).toBeUndefined();
        return;
      }
      await expect(connector.check!({ signal: live() })).resolves.toBeUndefined();
    });

    test('close is idempotent', async () => {
      await harness.put(at('close', 'c.txt'), 'c');
      const other = await harness.create();
      expect(await collect(other.list(at('close'), { recursive: false, signal: live() }))).toHaveLength(1);
      await other.close();
      await expect(other.close()).resolves.toBeUndefined();
    });

    test('rejects paths that try to leave the root', async () => {
      await harness.put(at('safe', 'inside.txt'), 'inside');
      const attempts = ['../x', '..', `${at('safe')}/../../../etc/passwd`, 'a/..\\..\\x', 'a\0b'];
      for (const path of attempts) {
        expectKind(await rejection(collect(connector.list(path, { recursive: true, signal: live() }))), 'config', 'not_found');
        expectKind(await rejection(connector.stat(path, { signal: live() })), 'config', 'not_found');
        expectKind(await rejection(connector.open(path, { signal: live() })), 'config', 'not_found');
        if (connector.remove) expectKind(await rejection(connector.remove(path, { signal: live() })), 'config', 'not_found');
        if (connector.move) {
          expectKind(await rejection(connector.move(path, at('safe', 'y.txt'), { signal: live() })), 'config', 'not_found');
          expectKind(await rejection(connector.move(at('safe', 'inside.txt'), path, { signal: live() })), 'config', 'not_found');
        }
      }
      expect((await harness.read(at('safe', 'inside.txt')))?.toString()).toBe('inside');
    });
  });
}
