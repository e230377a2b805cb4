import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KEY_PASSPHRASE, SFTP_PASSWORD, SftpServer, startSftpServer } from '../servers/sftp-server';
import { jsonl, people, sorted, Workspace } from './workspace';

/** Secrets reach the config through ${env:...} and ${file:...}, as in production, and must never be printed. */
const SECRET_ENV = { E2E_SFTP_PASSWORD: SFTP_PASSWORD, E2E_SFTP_PASSPHRASE: KEY_PASSPHRASE, E2E_SFTP_WRONG_PASSWORD: 'wrong-password-5d2e8b' };
const OTHER_HOST_KEY = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('dataflowd run from SFTP (OpenSSH), end to end through the real CLI and the emulator', () => {
  let ws: Workspace;
  let sftp: SftpServer;

  function connection(name: string, overrides: Record<string, string | undefined> = {}): string[] {
    const keys: Record<string, string | undefined> = {
      type: 'sftp',
      host: sftp.host,
      port: String(sftp.port),
      username: sftp.username,
      password: '${env:E2E_SFTP_PASSWORD}',
      hostKey: sftp.hostKey,
      maxConnections: '2',
      ...overrides,
    };
    const scalar = (v: string) => (/^\d+$/.test(v) ? v : JSON.stringify(v));
    return [`  ${name}:`, ...Object.entries(keys).flatMap(([k, v]) => (v === undefined ? [] : [`    ${k}: ${scalar(v)}`]))];
  }

  const keyFile = () => path.join(ws.dir, 'id_ed25519');
  const connections = (...extra: string[][]) =>
    [
      ...connection('luma-sftp'),
      ...connection('luma-sftp-key', { password: undefined, privateKey: `\${file:${keyFile()}}`, passphrase: '${env:E2E_SFTP_PASSPHRASE}' }),
      ...connection('luma-sftp-wrong-password', { password: '${env:E2E_SFTP_WRONG_PASSWORD}' }),
      ...connection('luma-sftp-other-host', { hostKey: OTHER_HOST_KEY }),
      ...extra.flat(),
    ].join('\n');

  const dataflow = (connectionName: string, folder: string, extra: string[] = []) =>
    ['source:', `  connection: ${connectionName}`, `  path: ${folder}`, '  include: ["*.json"]', ...extra, 'target:', '  dataset: people'].join('\n');

  /** Files below a folder of the server's root, '/'-separated, sorted. */
  async function files(folder: string): Promise<string[]> {
    const entries = await readdir(sftp.local(folder), { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(sftp.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

  async function lastRun(name: string): Promise<{ id: string; status: string; error: string | null }> {
    const [last] = JSON.parse((await ws.cli(['history', name, '--json', '--limit', '1'])).stdout);
    return last;
  }

  beforeAll(async () => {
    sftp = await startSftpServer();
    Object.assign(process.env, SECRET_ENV);
    ws = await Workspace.create();
    await writeFile(keyFile(), sftp.keys.ed25519Encrypted, { mode: 0o600 });
    await ws.writeDaemonConfig(connections());
    await ws.writeDataflow('people', dataflow('luma-sftp', '/incoming'));
    await ws.writeDataflow('people-archived', dataflow('luma-sftp-key', '/outbound', ['  recursive: true', '  afterIngest: move', '  moveTo: /archive']));
    await ws.writeDataflow('people-wrong-password', dataflow('luma-sftp-wrong-password', '/incoming'));
    await ws.writeDataflow('people-other-host', dataflow('luma-sftp-other-host', '/incoming'));
    await ws.writeDataflow('people-no-folder', dataflow('luma-sftp', '/no-such-folder'));
  });

  afterAll(async () => {
    await ws?.close();
    await sftp?.stop();
    for (const name of Object.keys(SECRET_ENV)) delete process.env[name];
  });

  const a = people(0, 40);
  const b = people(100, 25);
  const c = people(400, 5);
  const landedFrom = async (...sets: unknown[][]) => expect(sorted(await ws.landed())).toEqual(sorted(sets.flat()));
  const noSecrets = (text: string) => {
    for (const secret of Object.values(SECRET_ENV)) expect(text).not.toContain(secret);
    expect(text).not.toContain('PRIVATE KEY');
  };

  it('ingests exactly the source records, and nothing on a second run', async () => {
    await sftp.put('incoming/a.json', jsonl(a));
    await sftp.put('incoming/b b.json', jsonl(b));
    await sftp.put('incoming/notes.txt', 'not selected');
    await sftp.put('incoming/sub/deeper.json', jsonl(people(900, 1)));
    const first = await ws.cli(['run', 'people', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsOut: 65 });
    noSecrets(first.stdout + first.stderr);
    await landedFrom(a, b);

    const second = await ws.cli(['run', 'people']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/skipped/);
    expect(second.stdout).toMatch(/2 already ingested/);
    await landedFrom(a, b);
  });

  it('ingests a changed file again as a new version', async () => {
    const more = people(200, 3);
    await sftp.put('incoming/b b.json', jsonl([...b, ...more]));
    const earlier = new Date(Date.now() - 3_600_000);
    await utimes(sftp.local('incoming/b b.json'), earlier, earlier);
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 1, filesIngested: 1, recordsIn: 28, recordsOut: 28 });
    await landedFrom(a, b, b, more);
  });

  it('afterIngest: move (over an encrypted private key) leaves the source folder empty and the archive full', async () => {
    await sftp.put('outbound/c1.json', jsonl(c.slice(0, 2)));
    await sftp.put('outbound/2024/données ü.json', jsonl(c.slice(2)));
    const run = await ws.cli(['run', 'people-archived', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesIngested: 2, recordsOut: 5 });
    noSecrets(run.stdout + run.stderr);
    expect(await files('outbound')).toEqual([]);
    expect(await files('archive')).toEqual(['archive/2024/données ü.json', 'archive/c1.json']);
    await landedFrom(a, b, b, people(200, 3), c);
  });

  it('a wrong password fails the run with an auth error in history, without leaking the password', async () => {
    const run = await ws.cli(['run', 'people-wrong-password', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toBe(`connecting to sftp://127.0.0.1:${sftp.port}: authentication as "${sftp.username}" failed (password refused)`);
    expect(await lastRun('people-wrong-password')).toMatchObject({ id: record.id, status: 'failed', error: record.error, errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' });
    noSecrets(run.stdout + run.stderr);
  });

  it('a host key other than the pinned one fails the run, naming the fingerprint the server presented', async () => {
    const run = await ws.cli(['run', 'people-other-host', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toContain(`host key mismatch: the server presented ${sftp.hostKey}, but hostKey is ${OTHER_HOST_KEY}`);
    expect(await lastRun('people-other-host')).toMatchObject({ id: record.id, error: record.error });
  });

  it('a missing folder fails the run with a not-found error in history', async () => {
    const run = await ws.cli(['run', 'people-no-folder', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toBe(`listing sftp://127.0.0.1:${sftp.port}/no-such-folder: No such file`);
  });

  it('validate refuses a connection without hostKey, pointing at it', async () => {
    await ws.writeDaemonConfig(connections(connection('unpinned', { hostKey: undefined })));
    try {
      const out = await ws.cli(['validate']);
      expect(out.code).toBe(2);
      expect(out.stdout).toMatch(/dataflowd\.yaml:\d+:\d+: connections\.unpinned(\.hostKey)?: hostKey is required/);
    } finally {
      await ws.writeDaemonConfig(connections());
    }
  });
});
