import { createHash } from 'node:crypto';
import { s3Connector } from '../../connectors/s3';
import { s3ErrorKind } from '../../connectors/s3/errors';
import { KeySpace } from '../../connectors/s3/keys';
import type { RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/logger';
import { S3RVER_KEY, S3TestServer, startS3Server } from '../servers/s3-server';
import { conformanceSuite } from './connector.suite';

const BUCKET = 'conformance';
/** A prefix two levels deep, so that every key the suite touches lives below the connection's root. */
const PREFIX = 'tenant/inbound';
/** Small pages, so that listings of more than three files really page. */
const PAGE_SIZE = 3;

let server: S3TestServer;
const key = (path: string) => `${PREFIX}/${path}`;

function config(endpoint: string, extra: Record<string, unknown> = {}) {
  return s3Connector.configSchema.parse({
    type: 's3',
    bucket: BUCKET,
    prefix: PREFIX,
    endpoint,
    forcePathStyle: true,
    accessKeyId: S3RVER_KEY,
    secretAccessKey: S3RVER_KEY,
    pageSize: PAGE_SIZE,
    ...extra,
  });
}

const create = (endpoint: string, extra: Record<string, unknown> = {}): Promise<SourceConnector> =>
  s3Connector.create(config(endpoint, extra), { logger: silentLogger, baseDir: '/nonexistent' });

conformanceSuite('s3', {
  async setup() {
    server = await startS3Server([BUCKET]);
  },
  create: () => create(server.endpoint),
  traits: { etagTracksContent: true, mtimePrecisionMs: 1000 },
  capabilities: { remove: true, move: true, check: true },
  folders: 'virtual',
  rootFolder: 'suite',
  put: (path, data) => server.put(BUCKET, key(path), data),
  // The "folder" marker consoles create: an empty object whose key ends in '/', never a file.
  mkdir: (path) => server.put(BUCKET, `${key(path)}/`, ''),
  remove: (path) => server.remove(BUCKET, key(path)),
  read: (path) => server.read(BUCKET, key(path)),
  cleanup: async () => server?.stop(),
});

describe('s3 connector specifics', () => {
  let local: S3TestServer;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    local = await startS3Server(['data', 'other']);
  });
  afterAll(() => local?.stop());

  async function list(connector: SourceConnector, folder: string, recursive = true): Promise<RemoteFile[]> {
    const out: RemoteFile[] = [];
    for await (const file of connector.list(folder, { recursive, signal })) out.push(file);
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async function kindOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      return err instanceof DataflowError ? err.kind : `not a DataflowError: ${String(err)}`;
    }
    return 'resolved';
  }

  const connect = (extra: Record<string, unknown> = {}) => create(local.endpoint, { bucket: 'data', ...extra });

  test('the traits are the definition’s: the ETag is the fingerprint, times are whole seconds', () => {
    expect(s3Connector.traits(config(local.endpoint))).toEqual({ etagTracksContent: true, mtimePrecisionMs: 1000 });
    expect(s3Connector.secretFields).toEqual(['secretAccessKey', 'sessionToken']);
  });

  test('pages through folders of many files, recursively and not, and stays inside the prefix', async () => {
    for (let i = 0; i < 10; i++) await local.put('data', key(`paged/f${i}.txt`), `${i}`);
    for (let i = 0; i < 4; i++) await local.put('data', key(`paged/sub${i}/g.txt`), `${i}`);
    // Neighbours that share the prefix's characters but not its folder.
    await local.put('data', 'tenant/inbound-other/paged/x.txt', 'x');
    await local.put('data', 'outside.txt', 'x');
    const connector = await connect();
    try {
      expect((await list(connector, 'paged', false)).map((f) => f.path)).toEqual(Array.from({ length: 10 }, (_, i) => `paged/f${i}.txt`));
      expect(await list(connector, 'paged', true)).toHaveLength(14);
      expect((await list(connector, '', true)).every((f) => f.path.startsWith('paged/'))).toBe(true);
    } finally {
      await connector.close();
    }
  });

  test('the etag is the unquoted MD5 of single-part content, and times are whole seconds', async () => {
    await local.put('data', key('etag/e.json'), '{"e":1}');
    const connector = await connect();
    try {
      const [file] = await list(connector, 'etag');
      expect(file.etag).toBe(createHash('md5').update('{"e":1}').digest('hex'));
      expect(file.modifiedAt.getTime() % 1000).toBe(0);
    } finally {
      await connector.close();
    }
  });

  test('without a prefix, paths are whole keys', async () => {
    await local.put('other', 'top/a.csv', 'a');
    const connector = await connect({ bucket: 'other', prefix: undefined });
    try {
      expect((await list(connector, '')).map((f) => f.path)).toEqual(['top/a.csv']);
      expect(await connector.stat('top/a.csv', { signal })).toMatchObject({ path: 'top/a.csv', size: 1 });
    } finally {
      await connector.close();
    }
  });

  test('wrong credentials are auth errors for list and check', async () => {
    const connector = await connect({ accessKeyId: 'NOT-A-KEY', secretAccessKey: 'wrong-secret-value' });
    try {
      expect(await kindOf(list(connector, ''))).toBe('auth');
      expect(await kindOf(connector.check!({ signal }))).toBe('auth');
      const err = await connector.check!({ signal }).catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(/^listing s3:\/\/data\/tenant\/inbound\/: InvalidAccessKeyId/);
      expect(String((err as Error).message)).not.toContain('wrong-secret-value');
    } finally {
      await connector.close();
    }
  });

  test('a missing bucket is not_found for list, check and open', async () => {
    const connector = await connect({ bucket: 'no-such-bucket' });
    try {
      expect(await kindOf(list(connector, 'x'))).toBe('not_found');
      expect(await kindOf(connector.check!({ signal }))).toBe('not_found');
      expect(await kindOf(connector.open('x/y.json', { signal }))).toBe('not_found');
      // A HEAD answer has no body to tell a missing bucket from a missing key.
      expect(await connector.stat('x/y.json', { signal })).toBeUndefined();
    } finally {
      await connector.close();
    }
  });

  test('a server that is not there is a transient error', async () => {
    const connector = await connect({ endpoint: 'http://127.0.0.1:1' });
    try {
      expect(await kindOf(connector.check!({ signal }))).toBe('transient');
      expect(await kindOf(connector.stat('a.json', { signal }))).toBe('transient');
    } finally {
      await connector.close();
    }
  });

  test('the default AWS credential chain is used when the config has no keys', async () => {
    await local.put('data', key('chain/c.json'), 'c');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = S3RVER_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_KEY;
    const connector = await connect({ accessKeyId: undefined, secretAccessKey: undefined });
    try {
      expect((await list(connector, 'chain')).map((f) => f.path)).toEqual(['chain/c.json']);
    } finally {
      await connector.close();
      restoreEnv('AWS_ACCESS_KEY_ID', saved.id);
      restoreEnv('AWS_SECRET_ACCESS_KEY', saved.secret);
    }
  });

  test('a key that is no safe path is skipped; a key outside the listed prefix fails the listing', () => {
    const keys = new KeySpace('b', 'in');
    expect(keys.listed('in/a/b.json', 'in/a/')).toEqual({ path: 'a/b.json' });
    expect(keys.listed('in/a/', 'in/a/')).toMatchObject({ skip: 'a folder marker', quiet: true });
    expect(keys.listed('in/a/../../../etc/passwd', 'in/a/')).toEqual({ skip: "has a '..' segment" });
    expect(keys.listed('in/a/..\\..\\x', 'in/a/')).toEqual({ skip: "has a '..' segment" });
    expect(keys.listed('in/a//x.json', 'in/a/')).toEqual({ skip: "has an empty or '.' segment" });
    expect(keys.listed('in/a/./x.json', 'in/a/')).toEqual({ skip: "has an empty or '.' segment" });
    expect(keys.listed('in//x.json', 'in/')).toEqual({ skip: "has an empty or '.' segment" });
    expect(keys.listed('in/a/x\0y', 'in/a/')).toEqual({ skip: 'contains a NUL byte' });
    expect(() => keys.listed('elsewhere/x.json', 'in/a/')).toThrow(/not under/);
    expect(new KeySpace('b', undefined).listed('', '')).toEqual({ skip: 'is empty' });
    expect(new KeySpace('b', '/in/').folderPrefix('')).toBe('in/');
    expect(new KeySpace('b', undefined).folderPrefix('')).toBe('');
  });

  test('a listing that fails after its first page throws, rather than ending early', async () => {
    const doomed = await startS3Server(['d']);
    try {
      for (let i = 0; i < 10; i++) await doomed.put('d', key(`f${i}.txt`), `${i}`);
      const connector = await create(doomed.endpoint, { bucket: 'd' });
      try {
        const files = connector.list('', { recursive: true, signal })[Symbol.asyncIterator]();
        expect((await files.next()).value).toMatchObject({ path: 'f0.txt' });
        await doomed.stop();
        const drained = (async () => {
          while (!(await files.next()).done);
        })();
        expect(await kindOf(drained)).toBe('transient');
      } finally {
        await connector.close();
      }
    } finally {
      await doomed.stop();
    }
  });

  test('a connection dropped while reading is a transient read error', async () => {
    const doomed = await startS3Server(['d']);
    try {
      await doomed.put('d', key('big.bin'), Buffer.alloc(64 * 1024 * 1024, 1));
      const connector = await create(doomed.endpoint, { bucket: 'd' });
      try {
        const stream = await connector.open('big.bin', { signal });
        const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
        await new Promise((resolve) => stream.once('data', resolve));
        stream.pause();
        await doomed.stop();
        stream.resume();
        const err = await failed;
        expect(err).toBeInstanceOf(DataflowError);
        expect((err as DataflowError).kind).toBe('transient');
        expect((err as DataflowError).message).toMatch(/^reading s3:\/\/d\/tenant\/inbound\/big\.bin: /);
      } finally {
        await connector.close();
      }
    } finally {
      await doomed.stop();
    }
  });

  test('the config takes exactly its keys, and the cross-field rules', () => {
    const parse = (c: Record<string, unknown>) => s3Connector.configSchema.safeParse({ type: 's3', bucket: 'b', ...c });
    expect(parse({ region: 'eu-west-1' }).success).toBe(true);
    expect(parse({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }).success).toBe(true);
    expect(parse({ region: 'eu-west-1', prefix: 'exports/daily', accessKeyId: 'AKIA', secretAccessKey: 's', sessionToken: 't', pageSize: 10 }).success).toBe(true);
    expect(parse({}).success).toBe(false);
    expect(parse({ region: 'eu-west-1', extra: 1 }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', accessKeyId: 'AKIA' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', secretAccessKey: 's' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', sessionToken: 't' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', prefix: 'a/../../b' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', pageSize: 0 }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', pageSize: 1001 }).success).toBe(false);
    expect(parse({ endpoint: 'ftp://host' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1', bucket: 'a/b' }).success).toBe(false);
    expect(parse({ region: 'eu-west-1' }).data).toMatchObject({ forcePathStyle: false, pageSize: 1000 });
  });

  test.each([
    [{ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, 'auth'],
    [{ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } }, 'auth'],
    [{ name: 'ExpiredToken', $metadata: { httpStatusCode: 400 } }, 'auth'],
    [{ name: 'CredentialsProviderError' }, 'auth'],
    [{ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'not_found'],
    [{ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, 'not_found'],
    [{ name: 'NotFound', $metadata: { httpStatusCode: 404 } }, 'not_found'],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'permission'],
    [{ name: 'Forbidden', $metadata: { httpStatusCode: 403 } }, 'permission'],
    [{ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'transient'],
    [{ name: 'InternalError', $metadata: { httpStatusCode: 500 } }, 'transient'],
    [{ name: 'Unknown', $metadata: { httpStatusCode: 502 } }, 'transient'],
    [{ name: 'Unknown', $metadata: { httpStatusCode: 429 } }, 'transient'],
    [{ name: 'TimeoutError' }, 'transient'],
    [{ name: 'Error', code: 'ECONNRESET' }, 'transient'],
    [{ name: 'PermanentRedirect', $metadata: { httpStatusCode: 301 } }, 'config'],
    [{ name: 'Unknown', $metadata: { httpStatusCode: 400 } }, 'config'],
    [{ name: 'InvalidObjectState', $metadata: { httpStatusCode: 403 } }, 'unsupported'],
  ])('%j is a %s error', (err, kind) => {
    expect(s3ErrorKind(err)).toBe(kind);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
