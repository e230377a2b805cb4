import { FileType } from 'basic-ftp';
import { randomBytes } from 'node:crypto';
import { symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import { ftpConnector, type FtpConfig } from '../../connectors/ftp';
import { open } from '../../connectors/ftp/open';
import { ftpPort, ftpTimeoutMs } from '../../connectors/ftp/config';
import { ftpError, ftpErrorKind } from '../../connectors/ftp/errors';
import { dateOnly, inferYear, ListingFormatError, parseMlsdListing, parseMlsxTime, parseUnixListing } from '../../connectors/ftp/ftp-listing';
import type { RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/logger';
import { FTP_READER, FtpTestServer, startPyftpdlib, startVsftpd } from '../servers/ftp-server';
import { conformanceSuite, type ConformanceHarness } from './connector.suite';

/**
 * The shared suite against real servers: vsftpd (LIST only: times to the minute) over plain FTP,
 * explicit TLS and implicit TLS with its self-signed certificate given as `ca` (verification on),
 * and pyftpdlib (MLSD/MLST: times to the second).
 */
function harness(start: () => Promise<FtpTestServer>, connection: (s: FtpTestServer) => Partial<FtpConfig>, mlsd: boolean): ConformanceHarness {
  let server: FtpTestServer;
  const config = () =>
    ftpConnector.configSchema.parse({ type: 'ftp', host: server.host, port: server.port, username: server.username, password: server.password, ...connection(server) });
  return {
    async setup() {
      server = await start();
    },
    create: () => ftpConnector.create(config(), { logger: silentLogger, baseDir: '/nonexistent' }),
    // What the instance reports once it has logged in (the definition says 60 s for every server
    // until then): the suite then holds an MLSD server to whole seconds.
    traits: { etagTracksContent: false, mtimePrecisionMs: mlsd ? 1_000 : 60_000 },
    capabilities: { remove: true, move: true, check: true },
    folders: 'real',
    rootFolder: 'suite',
    put: (path, data) => server.put(path, data),
    mkdir: (path) => server.mkdir(path),
    remove: (path) => server.remove(path),
    read: (path) => server.read(path),
    setModifiedAt: (path, at) => server.setModifiedAt(path, at),
    clockToleranceMs: 2_000,
    cleanup: async () => server?.stop(),
  };
}

conformanceSuite('ftp (vsftpd, plain)', harness(() => startVsftpd(), () => ({}), false));
conformanceSuite('ftp (vsftpd, explicit TLS)', harness(() => startVsftpd({ tls: true }), (s) => ({ secure: 'explicit', ca: s.ca }), false));
conformanceSuite('ftp (vsftpd, implicit TLS)', harness(() => startVsftpd({ tls: true }), (s) => ({ secure: 'implicit', port: s.implicitPort, ca: s.ca }), false));
conformanceSuite('ftp (pyftpdlib, MLSD)', harness(() => startPyftpdlib(), () => ({}), true));

const live = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<DataflowError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DataflowError) return err;
    throw new Error(`expected a DataflowError, got ${String(err)}`);
  }
  throw new Error('expected a rejection, but it resolved');
}

async function listAll(connector: SourceConnector, folder: string, recursive = true): Promise<RemoteFile[]> {
  const out: RemoteFile[] = [];
  for await (const file of connector.list(folder, { recursive, signal: live() })) out.push(file);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The connector itself, for the specifics (the suite goes through the definition). */
function connect(server: FtpTestServer, extra: Record<string, unknown> = {}): SourceConnector {
  const config = ftpConnector.configSchema.parse({ type: 'ftp', host: server.host, port: server.port, username: server.username, password: server.password, ...extra });
  return open(config, { logger: silentLogger, baseDir: '/nonexistent' });
}

describe('ftp connector against vsftpd (LIST, TLS, sessions)', () => {
  let server: FtpTestServer;
  const opened: SourceConnector[] = [];
  const make = (extra: Record<string, unknown> = {}) => {
    const connector = connect(server, extra);
    opened.push(connector);
    return connector;
  };

  beforeAll(async () => {
    server = await startVsftpd({ tls: true });
  });
  afterAll(async () => {
    for (const c of opened) await c.close();
    await server?.stop();
  });

  test.each(['explicit', 'implicit'] as const)('%s TLS verifies the certificate: without `ca` it fails as config, saying what to do', async (secure) => {
    const port = secure === 'implicit' ? server.implicitPort : server.port;
    const err = await failure(make({ secure, port }).check!({ signal: live() }));
    expect(err.kind).toBe('config');
    expect(err.message).toMatch(new RegExp(`^connecting to ftps?://127\\.0\\.0\\.1:${port} as ${server.username}: .*self-signed certificate.*give its CA certificate.* as \`ca:\``));
    await expect(make({ secure, port, ca: server.ca }).check!({ signal: live() })).resolves.toBeUndefined();
    await expect(make({ secure, port, insecureSkipVerify: true }).check!({ signal: live() })).resolves.toBeUndefined();
  });

  test('a wrong password is auth; the message names the server and never the password', async () => {
    const connector = make({ password: 'wrong-password-5b7d' });
    for (const attempt of [() => connector.check!({ signal: live() }), () => listAll(connector, '')]) {
      const err = await failure(attempt());
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(new RegExp(`^connecting to ftp://127\\.0\\.0\\.1:${server.port} as ${server.username}: 530 Login incorrect`));
      expect(err.message).not.toContain('wrong-password-5b7d');
    }
  });

  test('a server that does not answer is transient', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    expect((await failure(make({ port }).check!({ signal: live() }))).kind).toBe('transient');
  });

  test('a missing folder is not_found, with the folder in the message', async () => {
    const err = await failure(listAll(make(), 'no/such/folder'));
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(new RegExp(`^listing ftp://127\\.0\\.0\\.1:${server.port}/no/such/folder: 550 `));
  });

  test('LIST times are cut to the minute, older files get theirs from MDTM, and 60 s is declared', async () => {
    const connector = make();
    await server.put('times/recent.txt', 'recent');
    await server.put('times/old.txt', 'old');
    await server.setModifiedAt('times/old.txt', new Date('2020-01-02T03:04:05.678Z'));
    const files = await listAll(connector, 'times');
    expect(files.map((f) => [f.path, f.modifiedAt.getUTCSeconds(), f.modifiedAt.getUTCMilliseconds()])).toEqual([
      ['times/old.txt', 0, 0],
      ['times/recent.txt', 0, 0],
    ]);
    expect(files[0].modifiedAt.toISOString()).toBe('2020-01-02T03:04:00.000Z');
    expect(Date.now() - files[1].modifiedAt.getTime()).toBeLessThan(120_000);
    expect(connector.traits!()).toEqual({ etagTracksContent: false, mtimePrecisionMs: 60_000 });
    for (const file of files) expect(await connector.stat(file.path, { signal: live() })).toEqual(file);
  });

  test('links to files are listed as those files; links to folders and dangling links are not', async () => {
    await server.put('links/target.txt', 'target!');
    await server.put('links/sub/inner.txt', 'inner');
    await symlink('target.txt', server.local('links/to-file.txt'));
    await symlink('sub', server.local('links/to-folder'));
    await symlink('nowhere.txt', server.local('links/dangling.txt'));
    const files = await listAll(make(), 'links');
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['links/sub/inner.txt', 5],
      ['links/target.txt', 7],
      ['links/to-file.txt', 7],
    ]);
  });

  test('an entry whose name cannot be a safe path is skipped, the rest is listed', async () => {
    await server.put('names/ok.txt', 'ok');
    await server.put('names/..\\escape.txt', 'x');
    expect((await listAll(make(), 'names')).map((f) => f.path)).toEqual(['names/ok.txt']);
  });

  test('a dropped connection fails the read as transient, and the next read reconnects', async () => {
    const data = randomBytes(32 * 1024 * 1024);
    await server.put('drop/big.bin', data);
    const connector = make();
    const stream = await connector.open('drop/big.bin', { signal: live() });
    await new Promise((resolve) => stream.once('readable', resolve));
    await server.dropSessions();
    const err = await failure(readAll(stream));
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/^reading ftp:\/\/127\.0\.0\.1:\d+\/drop\/big\.bin: /);
    expect((await readAll(await connector.open('drop/big.bin', { signal: live() }))).equals(data)).toBe(true);
  });

  test('files read one after another on one session keep their own bytes', async () => {
    // A session's downloads share its read buffer: earlier chunks must survive later reads.
    const sizes = [1, 100, 65_536, 65_537, 131_072, 300_000, 700_000, 1_048_576, 3, 250_000];
    const contents = sizes.map((size) => randomBytes(size));
    for (const [i, data] of contents.entries()) await server.put(`serial/f${i}.bin`, data);
    const connector = make({ maxConnections: 1 });
    const chunks: Buffer[][] = [];
    for (let i = 0; i < contents.length; i++) {
      chunks.push([]);
      for await (const chunk of await connector.open(`serial/f${i}.bin`, { signal: live() })) chunks[i].push(chunk as Buffer);
    }
    // Joined only now, after every read: a chunk overwritten by a later download would show.
    expect(chunks.map((c, i) => Buffer.concat(c).equals(contents[i]))).toEqual(contents.map(() => true));
  });

  test('a reader that stalls for longer than `timeout` holds the transfer up without failing it', async () => {
    const data = randomBytes(16 * 1024 * 1024);
    await server.put('stall/s.bin', data);
    // A timeout of a second, not less: connecting (TLS) on a loaded machine takes longer than a few
    // hundred milliseconds, and that is not what this test is about.
    const stream = await make({ timeout: '1s' }).open('stall/s.bin', { signal: live() });
    await new Promise((resolve) => stream.once('readable', resolve));
    // Five times the timeout, deliberately: a watchdog mistaking our backpressure for a silent
    // server would have failed the transfer by then.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    // Backpressure reached the socket: a bounded read-ahead, not the whole file, is buffered.
    expect(stream.readableLength).toBeLessThan(4 * 1024 * 1024);
    expect((await readAll(stream)).equals(data)).toBe(true);
  });

  test('one session per transfer, at most maxConnections; sessions come back after errors and aborts', async () => {
    await server.put('pool/a.bin', randomBytes(4 * 1024 * 1024));
    const connector = make({ maxConnections: 1 });
    for (let i = 0; i < 20; i++) expect((await failure(connector.open(`pool/missing-${i}.bin`, { signal: live() }))).kind).toBe('not_found');

    const holding = await connector.open('pool/a.bin', { signal: live() });
    let statted = false;
    const stat = connector.stat('pool/a.bin', { signal: live() }).then((s) => ((statted = true), s));
    const controller = new AbortController();
    const waiting = connector.list('pool', { recursive: false, signal: controller.signal })[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect((await readAll(holding)).length).toBe(4 * 1024 * 1024);
    expect(statted).toBe(false);
    expect(await stat).toMatchObject({ size: 4 * 1024 * 1024 });

    const aborting = new AbortController();
    const aborted = await connector.open('pool/a.bin', { signal: aborting.signal });
    aborting.abort();
    await new Promise((resolve) => aborted.once('close', resolve));
    expect((await listAll(connector, 'pool')).map((f) => f.path)).toEqual(['pool/a.bin']);
  });

  test('close ends the transfers in progress and refuses new work', async () => {
    await server.put('closing/c.bin', randomBytes(8 * 1024 * 1024));
    const connector = make();
    const stream = await connector.open('closing/c.bin', { signal: live() });
    await connector.close();
    await expect(readAll(stream)).rejects.toBeDefined();
    expect((await failure(connector.stat('closing/c.bin', { signal: live() }))).message).toMatch(/closed/);
    await expect(connector.close()).resolves.toBeUndefined();
  });
});

describe('ftp connector against pyftpdlib (MLSD, MLST, and a server with none of them)', () => {
  const servers: FtpTestServer[] = [];
  const connectors: SourceConnector[] = [];
  const started = async (opts: Parameters<typeof startPyftpdlib>[0] = {}) => {
    const server = await startPyftpdlib(opts);
    servers.push(server);
    return server;
  };
  const make = (server: FtpTestServer, extra: Record<string, unknown> = {}) => {
    const connector = connect(server, extra);
    connectors.push(connector);
    return connector;
  };
  afterAll(async () => {
    for (const c of connectors) await c.close();
    for (const s of servers) await s.stop();
  });

  test('MLSD gives exact seconds, MLST agrees, and the connector declares 1 s once it has listed', async () => {
    const server = await started();
    await server.put('mlsd/a.json', '{"a":1}');
    await server.setModifiedAt('mlsd/a.json', new Date('2020-01-02T03:04:05Z'));
    const connector = make(server);
    expect(connector.traits!().mtimePrecisionMs).toBe(60_000);
    const [file] = await listAll(connector, 'mlsd');
    expect(file).toEqual({ path: 'mlsd/a.json', size: 7, modifiedAt: new Date('2020-01-02T03:04:05Z') });
    expect(connector.traits!().mtimePrecisionMs).toBe(1_000);
    expect(await connector.stat('mlsd/a.json', { signal: live() })).toEqual(file);
  });

  test('a refused delete or rename is permission', async () => {
    const server = await started();
    await server.put('ro/r.json', '{}');
    const reader = make(server, { username: FTP_READER });
    expect(await listAll(reader, 'ro')).toHaveLength(1);
    expect((await failure(reader.remove!('ro/r.json', { signal: live() }))).kind).toBe('permission');
    expect((await failure(reader.move!('ro/r.json', 'ro/done/r.json', { signal: live() }))).kind).toBe('permission');
    expect((await server.read('ro/r.json'))?.toString()).toBe('{}');
  });

  test('without MLSD, MDTM and SIZE: LIST, stat from the parent listing, old files to the day', async () => {
    const server = await started({ without: ['MLST', 'MLSD', 'MDTM', 'SIZE'] });
    await server.put('bare/new.json', 'new');
    await server.put('bare/old.json', 'old!');
    await server.setModifiedAt('bare/old.json', new Date('2020-01-02T03:04:05Z'));
    const connector = make(server);
    const files = await listAll(connector, 'bare');
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['bare/new.json', 3],
      ['bare/old.json', 4],
    ]);
    expect(files[0].modifiedAt.getUTCSeconds()).toBe(0);
    expect(files[1].modifiedAt.toISOString()).toBe('2020-01-02T00:00:00.000Z');
    expect(connector.traits!().mtimePrecisionMs).toBe(60_000);
    for (const file of files) expect(await connector.stat(file.path, { signal: live() })).toEqual(file);
    expect(await connector.stat('bare/missing.json', { signal: live() })).toBeUndefined();
    expect(await connector.stat('nowhere/missing.json', { signal: live() })).toBeUndefined();
  });
});

describe('ftp listing parsers', () => {
  const now = new Date('2027-01-02T10:00:00Z');

  test('reads vsftpd LIST lines: minutes for recent files, the date alone for old ones', () => {
    const text = [
      'drwxr-xr-x    2 1002     1002         4096 Jan 01 09:15 .',
      'drwxr-xr-x    3 1002     1002         4096 Jan 01 09:15 ..',
      '-rw-r--r--    1 0        0               2 Dec 31 23:59 last year.txt',
      '-rw-r--r--    1 ftp      ftp      12345678 Jan 02 09:58 this year.csv',
      '-rw-r--r--    1 1002     1002            6 Mar 04  2021 old.json',
      'lrwxrwxrwx    1 0        0               5 Jan 01 00:00 link -> target.txt',
      'drwxr-xr-x    2 0        0            4096 Jan 01 00:00 folder',
      'crw-rw-rw-    1 0        0          1,   3 Jan 01 00:00 null',
      'prw-r--r--    1 0        0               0 Jan 01 00:00 fifo',
    ].join('\r\n');
    const infos = parseUnixListing(`total 12\r\n${text}\r\n`, now);
    expect(infos.map((i) => [i.name, i.type, i.size, i.modifiedAt?.toISOString(), i.link])).toEqual([
      ['last year.txt', FileType.File, 2, '2026-12-31T23:59:00.000Z', undefined],
      ['this year.csv', FileType.File, 12345678, '2027-01-02T09:58:00.000Z', undefined],
      ['old.json', FileType.File, 6, undefined, undefined],
      ['link', FileType.SymbolicLink, 5, '2027-01-01T00:00:00.000Z', 'target.txt'],
      ['folder', FileType.Directory, 4096, '2027-01-01T00:00:00.000Z', undefined],
      ['fifo', FileType.Unknown, 0, '2027-01-01T00:00:00.000Z', undefined],
    ]);
    expect(dateOnly(infos[2])?.toISOString()).toBe('2021-03-04T00:00:00.000Z');
  });

  test('a LIST line it cannot read fails the whole listing', () => {
    expect(() => parseUnixListing('-rw-r--r-- 1 0 0 2 Dec 31 23:59 a.txt\r\n01-02-27  10:00AM  12 dos.txt\r\n', now)).toThrow(ListingFormatError);
    expect(() => parseUnixListing('-rw-r--r--    1 0   0   2 Foo 31 23:59 a.txt', now)).toThrow(/month/);
  });

  test('reads MLSD facts, skips . and .., and refuses lines without facts or sizes', () => {
    const infos = parseMlsdListing(
      [
        'type=cdir;modify=20270101000000; .',
        'type=pdir;modify=20270101000000; ..',
        'type=file;size=42;modify=20260304050607.891;perm=r; a file; with semicolons.txt',
        'Type=DIR;Modify=20260304050607; sub',
        'type=OS.unix=symlink;size=9;modify=20260304050607; link',
      ].join('\r\n'),
    );
    expect(infos.map((i) => [i.name, i.type, i.size, i.modifiedAt?.toISOString()])).toEqual([
      ['a file; with semicolons.txt', FileType.File, 42, '2026-03-04T05:06:07.891Z'],
      ['sub', FileType.Directory, 0, '2026-03-04T05:06:07.000Z'],
      ['link', FileType.SymbolicLink, 9, '2026-03-04T05:06:07.000Z'],
    ]);
    expect(() => parseMlsdListing('just-a-name.txt')).toThrow(ListingFormatError);
    expect(() => parseMlsdListing('type=file;modify=20260304050607; nosize.txt')).toThrow(/size/);
    expect(() => parseMlsxTime('2026-03-04')).toThrow(ListingFormatError);
  });

  test('a year-less LIST date is the latest one not after now', () => {
    expect(inferYear(11, 31, 23, 59, now).toISOString()).toBe('2026-12-31T23:59:00.000Z');
    expect(inferYear(0, 3, 1, 0, now).toISOString()).toBe('2027-01-03T01:00:00.000Z');
    expect(inferYear(0, 10, 0, 0, now).toISOString()).toBe('2026-01-10T00:00:00.000Z');
  });
});

describe('ftp errors and configuration', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'FTPError', code: Number(message.slice(0, 3)) });
  const failed = (message: string, code?: string) => Object.assign(new Error(message), { code });

  test.each([
    ['530 Login incorrect.', 'auth'],
    ['550 Failed to open file.', 'not_found'],
    ['550 Permission denied.', 'permission'],
    ['550 Not enough privileges.', 'permission'],
    ['553 Could not create file.', 'permission'],
    ['421 Too many connections.', 'transient'],
    ["425 Can't open data connection.", 'transient'],
    ['426 Failure writing network stream.', 'transient'],
    ['502 Command not implemented.', 'unsupported'],
    ['500 OOPS: child died', 'transient'],
    ['534 Policy requires SSL.', 'config'],
  ])('the reply %s is %s', (message, kind) => {
    expect(ftpErrorKind(reply(message))).toBe(kind);
  });

  test.each([
    ['a reset connection', 'transient', failed('read ECONNRESET', 'ECONNRESET')],
    ['a timeout', 'transient', failed('Timeout (control socket)')],
    ['an untrusted certificate', 'config', failed('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')],
    ['TLS spoken to a plain port', 'config', failed('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER')],
    ['a listing line it cannot read', 'unsupported', new ListingFormatError('unrecognised LIST line')],
  ])('%s is %s', (_what, kind, err) => {
    expect(ftpErrorKind(err)).toBe(kind);
  });

  test('a secret never survives into a message', () => {
    const err = ftpError(reply('530 no such user hunter22'), 'connecting to', 'ftp://h:21 as u', { secrets: ['hunter22'] }) as DataflowError;
    expect(err.message).toBe('connecting to ftp://h:21 as u: 530 no such user [redacted]');
  });

  const base = { type: 'ftp', host: 'ftp.example.com', username: 'luma' };
  test('the schema takes exactly the documented keys, with defaults, and accepts its own output', () => {
    const parsed = ftpConnector.configSchema.parse(base);
    expect(parsed).toEqual({ ...base, secure: false, insecureSkipVerify: false, maxConnections: 4, timeout: '30s' });
    expect(ftpConnector.configSchema.parse(parsed)).toEqual(parsed);
    expect(ftpPort(parsed)).toBe(21);
    expect(ftpPort(ftpConnector.configSchema.parse({ ...base, secure: 'implicit' }))).toBe(990);
    expect(ftpTimeoutMs(ftpConnector.configSchema.parse({ ...base, timeout: '1m30s' }))).toBe(90_000);
    expect(ftpConnector.secretFields).toEqual(['password']);
  });

  test.each([
    ['an unknown key', { extra: 1 }],
    ['secure: true (explicit or implicit must be said)', { secure: true }],
    ['a ca without TLS', { ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' }],
    ['a ca that is not PEM', { secure: 'explicit', ca: '/run/secrets/ca.pem' }],
    ['insecureSkipVerify next to a ca', { secure: 'explicit', insecureSkipVerify: true, ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' }],
    ['a URL as host', { host: 'ftp://ftp.example.com' }],
    ['a timeout without unit', { timeout: '30' }],
    ['maxConnections 0', { maxConnections: 0 }],
    ['a password with a line break', { password: 'a\r\nDELE x' }],
  ])('refuses %s', (_what, extra) => {
    expect(ftpConnector.configSchema.safeParse({ ...base, ...extra }).success).toBe(false);
  });
});
