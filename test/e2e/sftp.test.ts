import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KEY_PASSPHRASE, SFTP_PASSWORD, SftpServer, startSftpServer } from '../servers/sftp-server';
import { itRunsFromTheSource, serverFolder, sourceDataflow, writeSourceRunDataflows } from './source-runs';
import { STORES, Workspace } from './workspace';

/** Secrets reach the config through ${env:...} and ${file:...}, as in production, and must never be printed. */
const SECRET_ENV = { E2E_SFTP_PASSWORD: SFTP_PASSWORD, E2E_SFTP_PASSPHRASE: KEY_PASSPHRASE, E2E_SFTP_WRONG_PASSWORD: 'wrong-password-5d2e8b' };
const OTHER_HOST_KEY = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe.each(STORES)('dataflowd run from SFTP (OpenSSH), end to end through the real CLI and the emulator (%s store)', (store) => {
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

  async function lastRun(name: string): Promise<{ id: string; status: string; error: string | null }> {
    const [last] = JSON.parse((await ws.cli(['history', name, '--json', '--limit', '1'])).stdout);
    return last;
  }

  beforeAll(async () => {
    sftp = await startSftpServer();
    Object.assign(process.env, SECRET_ENV);
    ws = await Workspace.create({ store });
    await writeFile(keyFile(), sftp.keys.ed25519Encrypted, { mode: 0o600 });
    await ws.writeDaemonConfig(connections());
    // Moving goes over the encrypted private key; the rest over the password.
    await writeSourceRunDataflows(ws, 'luma-sftp', 'luma-sftp-key');
    await ws.writeDataflow('people-wrong-password', sourceDataflow('luma-sftp-wrong-password', '/incoming'));
    await ws.writeDataflow('people-other-host', sourceDataflow('luma-sftp-other-host', '/incoming'));
    await ws.writeDataflow('people-no-folder', sourceDataflow('luma-sftp', '/no-such-folder'));
  });

  afterAll(async () => {
    await ws?.close();
    await sftp?.stop();
    for (const name of Object.keys(SECRET_ENV)) delete process.env[name];
  });

  const secrets = [...Object.values(SECRET_ENV), 'PRIVATE KEY'];
  const noSecrets = (text: string) => {
    for (const secret of secrets) expect(text).not.toContain(secret);
  };

  itRunsFromTheSource(() => serverFolder(ws, sftp, secrets));

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
