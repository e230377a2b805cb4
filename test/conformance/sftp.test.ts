import * as fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { SftpConfig, SftpConnector, sftpConnector } from '../../connectors/sftp';
import { sftpErrorKind } from '../../connectors/sftp/errors';
import { PipelinedReadStream } from '../../connectors/sftp/read-stream';
import type { RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/logger';
import { KEY_PASSPHRASE, SftpServer, startSftpServer } from '../servers/sftp-server';
import { conformanceSuite } from './connector.suite';

let server: SftpServer | undefined;
const live = () => new AbortController().signal;
/** The size of the files the connection tests read. */
const BIG = 16 << 20;

function config(extra: Record<string, unknown> = {}): SftpConfig {
  const s = server!;
  return sftpConnector.configSchema.parse({ type: 'sftp', host: s.host, port: s.port, username: s.username, password: s.password, hostKey: s.hostKey, ...extra });
}

/** The connector itself, for the specifics (the suite goes through the definition). */
function create(extra: Record<string, unknown> = {}, logger = silentLogger): SourceConnector {
  return new SftpConnector({ config: config(extra), logger });
}

conformanceSuite('sftp', {
  async setup() {
    server = await startSftpServer();
  },
  create: () => sftpConnector.create(config(), { logger: silentLogger, baseDir: '/nonexistent' }),
  traits: sftpConnector.traits({} as SftpConfig),
  capabilities: { remove: true, move: true, check: true },
  folders: 'real',
  rootFolder: 'suite',
  put: (path, data) => server!.put(path, data),
  mkdir: (path) => server!.mkdir(path),
  remove: (path) => fsp.unlink(server!.local(path)),
  read: (path) => fsp.readFile(server!.local(path)).catch(() => undefined),
  setModifiedAt: (path, at) => fsp.utimes(server!.local(path), at, at),
  clockToleranceMs: 1_000,
  cleanup: async () => {
    await server?.stop();
    server = undefined;
  },
});

async function collect(files: AsyncIterable<RemoteFile>): Promise<string[]> {
  const out: string[] = [];
  for await (const file of files) out.push(file.path);
  return out.sort();
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<DataflowError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DataflowError) return err;
    throw new Error(`expected a DataflowError, got ${String(err)}`);
  }
  throw new Error('expected a rejection, but it resolved');
}

describe('sftp connector specifics', () => {
  const opened: SourceConnector[] = [];
  const connector = (extra: Record<string, unknown> = {}, logger = silentLogger) => {
    const c = create(extra, logger);
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startSftpServer();
    await server.put('in/a.json', '{"a":1}\n');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await server?.stop();
    server = undefined;
  });

  describe('authentication', () => {
    const keyCases: Array<[string, () => Record<string, unknown>]> = [
      ['ed25519', () => ({ privateKey: server!.keys.ed25519 })],
      ['ed25519 with passphrase', () => ({ privateKey: server!.keys.ed25519Encrypted, passphrase: KEY_PASSPHRASE })],
      ['RSA', () => ({ privateKey: server!.keys.rsa })],
      ['RSA with passphrase', () => ({ privateKey: server!.keys.rsaEncrypted, passphrase: KEY_PASSPHRASE })],
      ['RSA in PEM format with passphrase', () => ({ privateKey: server!.keys.rsaPemEncrypted, passphrase: KEY_PASSPHRASE })],
      // ${file:} drops the key file's last newline.
      ['ed25519 without its trailing newline', () => ({ privateKey: server!.keys.ed25519.trimEnd() })],
    ];

    test.each(keyCases)('logs in with a private key: %s', async (_name, keyConfig) => {
      const c = connector({ password: undefined, ...keyConfig() });
      expect(await collect(c.list('in', { recursive: false, signal: live() }))).toEqual(['in/a.json']);
    });

    test('logs in with a password, and check passes', async () => {
      await expect(connector().check!({ signal: live() })).resolves.toBeUndefined();
    });

    test('a wrong password is an auth error that names the user, not the password', async () => {
      const err = await failure(connector({ password: 'not-the-password' }).check!({ signal: live() }));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/authentication as "dataflowd-sftp" failed/);
      expect(err.message).not.toContain('not-the-password');
    });

    test('a key the server does not know is an auth error', async () => {
      const err = await failure(collect(connector({ password: undefined, privateKey: server!.keys.unknown }).list('in', { recursive: false, signal: live() })));
      expect(err.kind).toBe('auth');
    });

    test('a wrong passphrase is an auth error that does not quote the key', async () => {
      const err = await failure(connector({ password: undefined, privateKey: server!.keys.rsaEncrypted, passphrase: 'wrong-passphrase' }).check!({ signal: live() }));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/privateKey cannot be used: .*passphrase/);
      expect(err.message).not.toMatch(/PRIVATE KEY|wrong-passphrase/);
    });
  });

  describe('host key', () => {
    const other = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

    test('a host key other than the pinned one fails with the fingerprint the server presented', async () => {
      const err = await failure(connector({ hostKey: other }).check!({ signal: live() }));
      expect(err.kind).toBe('auth');
      expect(err.message).toContain(`the server presented ${server!.hostKey}`);
      expect(err.message).toContain(`hostKey is ${other}`);
    });

    test('the pinned fingerprint may carry base64 padding', async () => {
      await expect(connector({ hostKey: `${server!.hostKey}=` }).check!({ signal: live() })).resolves.toBeUndefined();
    });

    test('insecureSkipHostKeyCheck connects to any key and logs the presented fingerprint once', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const c = connector({ hostKey: undefined, insecureSkipHostKeyCheck: true }, logger);
      await c.check!({ signal: live() });
      await c.stat('in/a.json', { signal: live() });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(server!.hostKey);
    });
  });

  describe('connections', () => {
    beforeAll(async () => {
      // Larger than a stream holds (2 MiB of reads in flight, two 2 MiB blocks buffered), so a
      // read that waits for its consumer still has requests to make.
      await server!.put('big/one.bin', Buffer.alloc(BIG, 1));
      await server!.put('big/two.bin', Buffer.alloc(BIG, 2));
      await server!.put('big/three.bin', Buffer.alloc(BIG, 3));
    });

    test('maxConnections bounds open files: a further open waits for a stream to finish', async () => {
      const c = connector({ maxConnections: 2 });
      const one = await c.open('big/one.bin', { signal: live() });
      const two = await c.open('big/two.bin', { signal: live() });
      let third: Readable | undefined;
      const waiting = c.open('big/three.bin', { signal: live() }).then((s) => (third = s));
      // The third open needs a connection: it can only get one when a stream ends.
      expect((await c.stat('in/a.json', { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e)) as Error).toMatchObject({ name: 'TimeoutError' });
      expect(third).toBeUndefined();
      expect((await readAll(one)).length).toBe(BIG);
      await waiting;
      expect((await readAll(third!)).equals(Buffer.alloc(BIG, 3))).toBe(true);
      expect((await readAll(two)).equals(Buffer.alloc(BIG, 2))).toBe(true);
    });

    test('a borrower waiting for a connection can be aborted', async () => {
      const c = connector({ maxConnections: 1 });
      const held = await c.open('big/one.bin', { signal: live() });
      const controller = new AbortController();
      const waiting = c.open('big/two.bin', { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      held.destroy();
      expect(await collect(c.list('in', { recursive: false, signal: live() }))).toEqual(['in/a.json']);
    });

    test('a dropped connection fails the read as transient, and the next read reconnects', async () => {
      const c = connector();
      const stream = await c.open('big/one.bin', { signal: live() });
      await new Promise((resolve) => stream.once('readable', resolve));
      await server!.dropSessions();
      const err = await failure(readAll(stream));
      expect(err.kind).toBe('transient');
      expect(err.message).toMatch(/^reading sftp:\/\/127\.0\.0\.1:\d+\/big\/one\.bin: /);
      expect((await readAll(await c.open('big/one.bin', { signal: live() }))).length).toBe(BIG);
    });

    test('keepalives notice a server that stopped answering: the read fails as transient', async () => {
      const c = connector({ keepaliveInterval: '200ms', keepaliveCountMax: 2 });
      const stream = await c.open('big/one.bin', { signal: live() });
      await new Promise((resolve) => stream.once('readable', resolve));
      const thaw = await server!.freezeSessions();
      try {
        const err = await failure(readAll(stream));
        expect(err.kind).toBe('transient');
        expect(err.message).toMatch(/^reading sftp:\/\/127\.0\.0\.1:\d+\/big\/one\.bin: .*keepalive/i);
      } finally {
        await thaw();
      }
      expect((await readAll(await c.open('big/one.bin', { signal: live() }))).length).toBe(BIG);
    });

    test('a request in flight when the connection dies fails as transient, with the reason', async () => {
      const c = connector({ keepaliveInterval: '200ms', keepaliveCountMax: 2 });
      await c.check!({ signal: live() });
      const thaw = await server!.freezeSessions();
      try {
        const err = await failure(c.stat('in/a.json', { signal: live() }));
        expect(err.kind).toBe('transient');
        expect(err.message).toMatch(/^stat sftp:\/\/127\.0\.0\.1:\d+\/in\/a\.json: the connection was lost: Keepalive timeout/);
      } finally {
        await thaw();
      }
    });

    test('abort while connecting rejects promptly and leaves nothing open', async () => {
      const c = connector();
      const controller = new AbortController();
      const checking = c.check!({ signal: controller.signal });
      controller.abort();
      await expect(checking).rejects.toMatchObject({ name: 'AbortError' });
      await expect(c.check!({ signal: live() })).resolves.toBeUndefined();
    });

    test('close ends open streams and waiting borrowers, and is idempotent', async () => {
      const c = create({ maxConnections: 1 });
      const stream = await c.open('big/one.bin', { signal: live() });
      const waiting = c.open('big/two.bin', { signal: live() }).catch((err: unknown) => err);
      const ended = new Promise((resolve) => stream.once('close', resolve));
      const errors: unknown[] = [];
      stream.on('error', (err) => errors.push(err));
      stream.resume();
      await c.close();
      await c.close();
      expect(await waiting).toMatchObject({ message: expect.stringMatching(/closed/) });
      await ended;
      expect(errors.map((e) => (e as DataflowError).kind)).toEqual(stream.readableEnded ? [] : ['transient']);
    });

    test('an unreachable server is a transient error', async () => {
      const c = connector({ port: 1, connectTimeout: '2s' });
      const err = await failure(c.check!({ signal: live() }));
      expect(err.kind).toBe('transient');
      expect(err.message).toMatch(/^connecting to sftp:\/\/127\.0\.0\.1:1: /);
    });
  });

  describe('files and folders', () => {
    afterEach(async () => {
      await fsp.chmod(server!.local('locked'), 0o755).catch(() => undefined);
      await fsp.chmod(server!.local('secret.json'), 0o644).catch(() => undefined);
    });

    test('permission denied is a permission error, for a folder and for a file', async () => {
      await server!.put('locked/x.json', '{}');
      await server!.put('secret.json', '{}');
      await fsp.chmod(server!.local('locked'), 0o000);
      await fsp.chmod(server!.local('secret.json'), 0o000);
      const c = connector();
      expect((await failure(collect(c.list('locked', { recursive: false, signal: live() })))).kind).toBe('permission');
      expect((await failure(c.open('secret.json', { signal: live() }))).kind).toBe('permission');
    });

    test('a recursive listing that cannot read a sub-folder fails whole', async () => {
      await server!.put('partial/ok.json', '{}');
      await server!.put('partial/locked/x.json', '{}');
      await fsp.chmod(server!.local('partial/locked'), 0o000);
      try {
        const err = await failure(collect(connector().list('partial', { recursive: true, signal: live() })));
        expect(err.kind).toBe('permission');
        expect(err.message).toContain('partial/locked');
      } finally {
        await fsp.chmod(server!.local('partial/locked'), 0o755);
      }
    });

    test('symlinks to files are listed as files; links to folders and dangling links are not', async () => {
      await server!.put('links/real/f.json', '{}');
      await fsp.symlink('real/f.json', server!.local('links/alias.json'));
      await fsp.symlink('real', server!.local('links/folder-link'));
      await fsp.symlink('nowhere.json', server!.local('links/dangling.json'));
      expect(await collect(connector().list('links', { recursive: true, signal: live() }))).toEqual(['links/alias.json', 'links/real/f.json']);
    });

    test('move replaces an existing target', async () => {
      await server!.put('mv/a.json', 'new');
      await server!.put('mv/done/a.json', 'old');
      await connector().move!('mv/a.json', 'mv/done/a.json', { signal: live() });
      expect(await fsp.readFile(server!.local('mv/done/a.json'), 'utf8')).toBe('new');
      await expect(fsp.stat(server!.local('mv/a.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('remove refuses a folder as not_found', async () => {
      await server!.mkdir('rm/sub');
      expect((await failure(connector().remove!('rm/sub', { signal: live() }))).kind).toBe('not_found');
    });
  });
});

describe('sftp config schema', () => {
  const base = { type: 'sftp', host: 'sftp.example.com', username: 'luma', password: 'pw-1234', hostKey: 'SHA256:cimIvKNNyQpBs1Ykuwpb2F35kluticWihgoX/eNuTMM' };
  const problems = (value: Record<string, unknown>) => {
    const r = sftpConnector.configSchema.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('defaults port 22, 4 connections, keepalives; parsing twice gives the same config', () => {
    const parsed = sftpConnector.configSchema.parse(base);
    expect(parsed).toMatchObject({ port: 22, maxConnections: 4, insecureSkipHostKeyCheck: false, keepaliveInterval: '10s', keepaliveCountMax: 3, connectTimeout: '20s' });
    expect(sftpConnector.configSchema.parse(parsed)).toEqual(parsed);
  });

  test('hostKey is required unless insecureSkipHostKeyCheck is true', () => {
    expect(problems({ ...base, hostKey: undefined })).toEqual([expect.stringMatching(/^hostKey: hostKey is required.*insecureSkipHostKeyCheck: true/)]);
    expect(problems({ ...base, hostKey: undefined, insecureSkipHostKeyCheck: true })).toEqual([]);
    expect(problems({ ...base, hostKey: 'SHA256:short' })).toEqual([expect.stringMatching(/^hostKey: expected SHA256:/)]);
    expect(problems({ ...base, hostKey: 'MD5:aa:bb' })).toHaveLength(1);
  });

  test('a password or a private key is required; a passphrase needs a key', () => {
    expect(problems({ ...base, password: undefined })).toEqual(['password: password or privateKey is required']);
    expect(problems({ ...base, passphrase: 'x1234' })).toEqual(['passphrase: passphrase is only used with privateKey']);
  });

  test('rejects unknown keys, bad durations and connection counts', () => {
    expect(problems({ ...base, root: '/data' })).toHaveLength(1);
    expect(problems({ ...base, keepaliveInterval: '10' })).toHaveLength(1);
    expect(problems({ ...base, maxConnections: 0 })).toHaveLength(1);
  });

  test('declares its secret fields and traits', () => {
    expect([...sftpConnector.secretFields].sort()).toEqual(['passphrase', 'password', 'privateKey']);
    expect(sftpConnector.traits(sftpConnector.configSchema.parse(base))).toEqual({ etagTracksContent: false, mtimePrecisionMs: 1000 });
  });

  describe('private keys (read cheaply, never quoted)', () => {
    let keys: SftpServer['keys'];
    beforeAll(async () => {
      server = await startSftpServer();
      keys = server.keys;
    });
    afterAll(async () => {
      await server?.stop();
      server = undefined;
    });

    test('an encrypted key needs a passphrase; garbage and public keys are refused', () => {
      expect(problems({ ...base, password: undefined, privateKey: keys.ed25519 })).toEqual([]);
      expect(problems({ ...base, password: undefined, privateKey: keys.rsaEncrypted, passphrase: KEY_PASSPHRASE })).toEqual([]);
      expect(problems({ ...base, password: undefined, privateKey: keys.rsaEncrypted })).toEqual(['privateKey: privateKey is encrypted: passphrase is required']);
      expect(problems({ ...base, password: undefined, privateKey: keys.rsaPemEncrypted })).toEqual(['privateKey: privateKey is encrypted: passphrase is required']);
      expect(problems({ ...base, password: undefined, privateKey: 'not a key' })).toEqual([expect.stringMatching(/^privateKey: privateKey is not a private key/)]);
      expect(problems({ ...base, password: undefined, privateKey: keys.ed25519Public })).toEqual(['privateKey: privateKey holds a public key; the private key is needed']);
    });
  });
});

describe('sftp error kinds', () => {
  test.each([
    [{ code: 2 }, 'not_found'],
    [{ code: 3 }, 'permission'],
    [{ code: 4 }, 'transient'],
    [{ code: 5 }, 'config'],
    [{ code: 7 }, 'transient'],
    [{ code: 8 }, 'unsupported'],
    [{ level: 'client-authentication' }, 'auth'],
    [{ level: 'client-timeout' }, 'transient'],
    [{ code: 'ECONNREFUSED', level: 'client-socket' }, 'transient'],
    [{ code: 'ECONNRESET' }, 'transient'],
    [{ level: 'handshake' }, 'config'],
    [new Error('No response from server'), 'transient'],
  ])('%j is a %s error', (err, kind) => {
    expect(sftpErrorKind(err)).toBe(kind);
  });
});

describe('sftp pipelined read stream (the read algorithm, over an in-memory file)', () => {
  type Pending = { position: number; target: Buffer; cb: (err: unknown, bytes: number) => void };

  function fakeFile(data: Buffer, opts: { shortEvery?: number; failAt?: number } = {}) {
    const pending: Pending[] = [];
    let sent = 0;
    let maxInFlight = 0;
    const closes: Array<Error | null> = [];
    const stream = new PipelinedReadStream({
      readAt: (position, target, cb) => {
        pending.push({ position, target, cb });
        sent++;
        maxInFlight = Math.max(maxInFlight, pending.length);
      },
      chunkSize: 1000,
      depth: 4,
      sizeHint: data.length,
      mapError: (err) => new Error(`mapped: ${String(err)}`),
      onClose: (err) => closes.push(err),
    });
    /** Answers every pending request, newest first (replies may come in any order). */
    const answer = () => {
      for (const p of pending.splice(0).reverse()) {
        if (opts.failAt !== undefined && p.position >= opts.failAt) {
          p.cb('EIO', 0);
          continue;
        }
        const length = p.target.length;
        const short = opts.shortEvery !== undefined && (p.position / 1000) % opts.shortEvery === 0 ? Math.ceil(length / 3) : length;
        p.cb(undefined, p.position >= data.length ? 0 : data.copy(p.target, 0, p.position, Math.min(data.length, p.position + short)));
      }
    };
    return { stream, answer, closes, stats: () => ({ sent, maxInFlight, pending: pending.length }) };
  }

  async function drain(f: ReturnType<typeof fakeFile>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    f.stream.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve, reject) => {
      f.stream.once('end', resolve);
      f.stream.once('error', reject);
    });
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    while (!finished) {
      await new Promise((resolve) => setImmediate(resolve));
      f.answer();
    }
    await done;
    return Buffer.concat(chunks);
  }

  test('delivers the bytes in order despite out-of-order replies and short reads', async () => {
    const data = Buffer.from(Array.from({ length: 10_500 }, (_, i) => i % 251));
    const f = fakeFile(data, { shortEvery: 3 });
    expect((await drain(f)).equals(data)).toBe(true);
    expect(f.stats().maxInFlight).toBeLessThanOrEqual(4);
    expect(f.closes).toEqual([null]);
  });

  test('hands on whole blocks of depth × chunk bytes, read in place', async () => {
    const data = Buffer.from(Array.from({ length: 10_500 }, (_, i) => i % 253));
    const f = fakeFile(data);
    const sizes: number[] = [];
    f.stream.on('data', (c: Buffer) => sizes.push(c.length));
    expect((await drain(f)).equals(data)).toBe(true);
    expect(sizes).toEqual([4000, 4000, 2500]);
  });

  test('asks for the end of the file in the same round trip as its last bytes', async () => {
    const data = Buffer.alloc(2_500, 9);
    const f = fakeFile(data);
    f.stream.read(0);
    // [0, 1000), [1000, 2000), [2000, 2500) and a probe at 2500, all at once.
    expect(f.stats()).toMatchObject({ sent: 4, pending: 4 });
    expect((await drain(f)).equals(data)).toBe(true);
    expect(f.stats().sent).toBe(4);
  });

  test('a small file is read into a buffer of its size and the probe, not a whole block', async () => {
    const data = Buffer.alloc(2_500, 7);
    const f = fakeFile(data);
    const buffers: number[] = [];
    f.stream.on('data', (c: Buffer) => buffers.push(c.buffer.byteLength));
    expect((await drain(f)).equals(data)).toBe(true);
    expect(buffers).toEqual([2_500 + 1_000]);
  });

  test('reads an empty file with a single request', async () => {
    const f = fakeFile(Buffer.alloc(0));
    expect((await drain(f)).length).toBe(0);
    expect(f.stats().sent).toBe(1);
  });

  test('stops requesting while the consumer is behind', async () => {
    const f = fakeFile(Buffer.alloc(100_000, 5));
    f.stream.pause();
    f.stream.read(0); // starts reading without consuming
    for (let i = 0; i < 50; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      f.answer();
    }
    // highWaterMark (depth × chunk) plus one window in flight: never the whole file.
    expect(f.stats().sent).toBeLessThanOrEqual(12);
    f.stream.destroy();
    expect(f.closes).toEqual([null]);
  });

  test('a failed read destroys the stream with the mapped error and releases once', async () => {
    const f = fakeFile(Buffer.alloc(10_000, 1), { failAt: 5_000 });
    await expect(drain(f)).rejects.toThrow('mapped: EIO');
    expect(f.closes).toHaveLength(1);
    expect(f.closes[0]?.message).toBe('mapped: EIO');
  });
});
