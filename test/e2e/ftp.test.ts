import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FTP_PASSWORD, FtpTestServer, startVsftpd } from '../servers/ftp-server';
import { itRunsFromTheSource, serverFolder, sourceDataflow, writeSourceRunDataflows } from './source-runs';
import { STORES, Workspace } from './workspace';

/** Secrets reach the config through ${env:...}, as in production, and must never be printed. */
const SECRET_ENV = { E2E_FTP_PASSWORD: FTP_PASSWORD, E2E_FTP_WRONG_PASSWORD: 'wrong-password-9e41c7' };

describe.each(STORES)('dataflowd run from FTPS (vsftpd, explicit TLS, private CA), end to end through the real CLI and the emulator (%s store)', (store) => {
  let ws: Workspace;
  let ftp: FtpTestServer;

  function connection(name: string, overrides: Record<string, string | undefined> = {}): string[] {
    const keys: Record<string, string | undefined> = {
      type: 'ftp',
      host: ftp.host,
      port: String(ftp.port),
      username: ftp.username,
      password: '${env:E2E_FTP_PASSWORD}',
      secure: 'explicit',
      ca: `\${file:${caFile()}}`,
      maxConnections: '2',
      ...overrides,
    };
    const scalar = (v: string) => (/^\d+$/.test(v) ? v : JSON.stringify(v));
    return [`  ${name}:`, ...Object.entries(keys).flatMap(([k, v]) => (v === undefined ? [] : [`    ${k}: ${scalar(v)}`]))];
  }

  const caFile = () => path.join(ws.dir, 'ftp-ca.pem');
  async function failedRun(name: string): Promise<{ id: string; status: string; error: string }> {
    const run = await ws.cli(['run', name, '--json']);
    expect(run.code).toBe(1);
    noSecrets(run.stdout + run.stderr);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    const [last] = JSON.parse((await ws.cli(['history', name, '--json', '--limit', '1'])).stdout);
    expect(last).toMatchObject({ id: record.id, status: 'failed', error: record.error });
    return record;
  }

  beforeAll(async () => {
    ftp = await startVsftpd({ tls: true });
    Object.assign(process.env, SECRET_ENV);
    ws = await Workspace.create({ store });
    await writeFile(caFile(), ftp.ca!);
    await ws.writeDaemonConfig(
      [
        ...connection('luma-ftps'),
        ...connection('luma-ftp-plain', { secure: undefined, ca: undefined }),
        ...connection('luma-ftps-wrong-password', { password: '${env:E2E_FTP_WRONG_PASSWORD}' }),
        ...connection('luma-ftps-no-ca', { ca: undefined }),
      ].join('\n'),
    );
    // Moving goes over plain FTP; the rest over explicit TLS.
    await writeSourceRunDataflows(ws, 'luma-ftps', 'luma-ftp-plain');
    await ws.writeDataflow('people-wrong-password', sourceDataflow('luma-ftps-wrong-password', '/incoming'));
    await ws.writeDataflow('people-no-ca', sourceDataflow('luma-ftps-no-ca', '/incoming'));
    await ws.writeDataflow('people-no-folder', sourceDataflow('luma-ftps', '/no-such-folder'));
  });

  afterAll(async () => {
    await ws?.close();
    await ftp?.stop();
    for (const name of Object.keys(SECRET_ENV)) delete process.env[name];
  });

  const noSecrets = (text: string) => {
    for (const secret of Object.values(SECRET_ENV)) expect(text).not.toContain(secret);
  };

  itRunsFromTheSource(() => serverFolder(ws, ftp, Object.values(SECRET_ENV)));

  it('a wrong password fails the run with the server\'s 530 in history, without leaking the password', async () => {
    const record = await failedRun('people-wrong-password');
    expect(record.error).toBe(`connecting to ftp://127.0.0.1:${ftp.port} as ${ftp.username}: 530 Login incorrect.`);
    expect(record).toMatchObject({ errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' });
  });

  it('without `ca`, the self-signed certificate is refused, and the error says what to configure', async () => {
    const record = await failedRun('people-no-ca');
    expect(record.error).toMatch(new RegExp(`^connecting to ftp://127\\.0\\.0\\.1:${ftp.port} as ${ftp.username}: self-signed certificate`));
    expect(record.error).toContain('give its CA certificate, or the self-signed certificate itself, as `ca:`');
  });

  it('a missing folder fails the run with a not-found error in history', async () => {
    const record = await failedRun('people-no-folder');
    expect(record.error).toBe(`listing ftp://127.0.0.1:${ftp.port}/no-such-folder: 550 Failed to change directory.`);
    expect(record).toMatchObject({ errorKind: 'not_found' });
  });

});
