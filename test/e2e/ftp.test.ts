import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FTP_PASSWORD, FtpTestServer, startVsftpd } from '../servers/ftp-server';
import { jsonl, people, sorted, Workspace } from './workspace';

/** Secrets reach the config through ${env:...}, as in production, and must never be printed. */
const SECRET_ENV = { E2E_FTP_PASSWORD: FTP_PASSWORD, E2E_FTP_WRONG_PASSWORD: 'wrong-password-9e41c7' };

describe('dataflowd run from FTPS (vsftpd, explicit TLS, private CA), end to end through the real CLI and the emulator', () => {
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
  const dataflow = (connectionName: string, folder: string, extra: string[] = []) =>
    ['source:', `  connection: ${connectionName}`, `  path: ${folder}`, '  include: ["*.json"]', ...extra, 'target:', '  dataset: people'].join('\n');

  /** Files below a folder of the server's root, '/'-separated, sorted. */
  async function files(folder: string): Promise<string[]> {
    const entries = await readdir(ftp.local(folder), { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(ftp.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

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
    ws = await Workspace.create();
    await writeFile(caFile(), ftp.ca!);
    await ws.writeDaemonConfig(
      [
        ...connection('luma-ftps'),
        ...connection('luma-ftp-plain', { secure: undefined, ca: undefined }),
        ...connection('luma-ftps-wrong-password', { password: '${env:E2E_FTP_WRONG_PASSWORD}' }),
        ...connection('luma-ftps-no-ca', { ca: undefined }),
      ].join('\n'),
    );
    await ws.writeDataflow('people', dataflow('luma-ftps', '/incoming'));
    await ws.writeDataflow('people-archived', dataflow('luma-ftp-plain', '/outbound', ['  recursive: true', '  afterIngest: move', '  moveTo: /archive']));
    await ws.writeDataflow('people-wrong-password', dataflow('luma-ftps-wrong-password', '/incoming'));
    await ws.writeDataflow('people-no-ca', dataflow('luma-ftps-no-ca', '/incoming'));
    await ws.writeDataflow('people-no-folder', dataflow('luma-ftps', '/no-such-folder'));
  });

  afterAll(async () => {
    await ws?.close();
    await ftp?.stop();
    for (const name of Object.keys(SECRET_ENV)) delete process.env[name];
  });

  const a = people(0, 40);
  const b = people(100, 25);
  const c = people(400, 5);
  const landedFrom = async (...sets: unknown[][]) => expect(sorted(await ws.landed())).toEqual(sorted(sets.flat()));
  /** The exit code next to the run record, so that a failure shows the run's error. */
  const outcome = (run: { code: number; stdout: string }) => ({ code: run.code, ...JSON.parse(run.stdout) });
  const noSecrets = (text: string) => {
    for (const secret of Object.values(SECRET_ENV)) expect(text).not.toContain(secret);
  };

  it('ingests exactly the source records, and nothing on a second run', async () => {
    await ftp.put('incoming/a.json', jsonl(a));
    await ftp.put('incoming/b b.json', jsonl(b));
    await ftp.put('incoming/notes.txt', 'not selected');
    await ftp.put('incoming/sub/deeper.json', jsonl(people(900, 1)));
    const first = await ws.cli(['run', 'people', '--json']);
    expect(outcome(first)).toMatchObject({ code: 0, status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsOut: 65 });
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
    await ftp.put('incoming/b b.json', jsonl([...b, ...more]));
    // An hour back: LIST shows minutes, so the new version must differ from the old one by more.
    const earlier = new Date(Date.now() - 3_600_000);
    await utimes(ftp.local('incoming/b b.json'), earlier, earlier);
    const run = await ws.cli(['run', 'people', '--json']);
    expect(outcome(run)).toMatchObject({ code: 0, status: 'succeeded', filesTaken: 1, filesIngested: 1, recordsIn: 28, recordsOut: 28 });
    await landedFrom(a, b, b, more);
  });

  it('afterIngest: move (plain FTP) leaves the source folder empty and the archive full', async () => {
    await ftp.put('outbound/c1.json', jsonl(c.slice(0, 2)));
    await ftp.put('outbound/2024/données ü.json', jsonl(c.slice(2)));
    const run = await ws.cli(['run', 'people-archived', '--json']);
    expect(outcome(run)).toMatchObject({ code: 0, status: 'succeeded', filesIngested: 2, recordsOut: 5 });
    expect(await files('outbound')).toEqual([]);
    expect(await files('archive')).toEqual(['archive/2024/données ü.json', 'archive/c1.json']);
    await landedFrom(a, b, b, people(200, 3), c);
  });

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
