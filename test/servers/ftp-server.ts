import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OwnedFiles, ownedFiles } from './owned-files';
import { answers, ensureTestUser, printedPort, requirePackage, run, signalDescendants, Started, startOnFreePort, stopProcess, waitUntilAnswers } from './processes';

/** The account the tests log in with; created on first use (tests run as root). */
export const FTP_USER = 'dataflowd-ftp';
export const FTP_PASSWORD = 'ftp-test-pass-4c1e';
/** pyftpdlib's second account, which may list and read but not delete or rename. */
export const FTP_READER = 'reader';

const VSFTPD = '/usr/sbin/vsftpd';
const PYTHON = '/usr/bin/python3';

/** Files below `root` are written as the test user would own them (owned-files.ts). */
export interface FtpTestServer extends OwnedFiles {
  host: string;
  /** Plain FTP, and explicit TLS (AUTH TLS) when started with `tls`. */
  port: number;
  /** Implicit TLS (a second vsftpd), when started with `tls`. */
  implicitPort?: number;
  username: string;
  password: string;
  /** PEM of the server's self-signed certificate (CN and IP SAN 127.0.0.1), when started with `tls`. */
  ca?: string;
  /** Folder on this machine where the user lands: the connection's root. */
  root: string;
  remove(rel: string): Promise<void>;
  /** Kills every session process, not the listener: connections drop as if the network did. */
  dropSessions(): Promise<void>;
  /** Stops the server(s) by pid and deletes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * vsftpd on 127.0.0.1 (reference/testbed.md): LIST only, no MLSD. With `tls`, a self-signed
 * certificate made with openssl, plain + explicit TLS on `port` and a second instance with
 * implicit TLS on `implicitPort`.
 */
export async function startVsftpd(opts: { tls?: boolean } = {}): Promise<FtpTestServer> {
  requirePackage(VSFTPD, 'vsftpd', 'FTP');
  requirePackage('/usr/bin/openssl', 'openssl', 'FTP');
  const account = await ensureFtpUser();
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-ftp-'));
  const started: Started[] = [];
  try {
    // The session runs as the test user, which must traverse the temp folder (mkdtemp: 0700).
    await chmod(dir, 0o755);
    const root = path.join(dir, 'root');
    await mkdir(root);
    await chown(root, account.uid, account.gid);
    await mkdir('/var/run/vsftpd/empty', { recursive: true });
    let ca: string | undefined;
    if (opts.tls) {
      const pem = path.join(dir, 'cert.pem');
      await run('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', pem, '-out', pem]);
      ca = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(await readFile(pem, 'utf8'))![0];
    }
    const vsftpd = (name: string, implicit: boolean) => async (port: number) => {
      const file = path.join(dir, name);
      await writeFile(file, vsftpdConfig(dir, root, port, await freePortRange(), opts.tls === true, implicit));
      return spawn(VSFTPD, [file], { stdio: ['ignore', 'ignore', 'pipe'] });
    };
    started.push(await startOnFreePort('vsftpd', vsftpd('vsftpd.conf', false), greetsFtp));
    // Implicit TLS: the server waits for the client's hello, so a connection accepted is ready.
    if (opts.tls) started.push(await startOnFreePort('vsftpd (implicit TLS)', vsftpd('vsftpd-implicit.conf', true), (port) => answers(port)));
    return files(root, account, {
      port: started[0].port,
      implicitPort: started[1]?.port,
      ca,
      processes: started,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    });
  } catch (err) {
    for (const s of started) await stopProcess(s.child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * pyftpdlib on 127.0.0.1 (Debian python3-pyftpdlib): a server with MLSD and MLST, the listing
 * path vsftpd lacks. `without` drops commands (and their FEAT lines), e.g. a server with
 * neither MLSD nor MDTM and SIZE.
 */
export async function startPyftpdlib(opts: { without?: string[] } = {}): Promise<FtpTestServer> {
  requirePackage(PYTHON, 'python3', 'FTP');
  const probe = await run(PYTHON, ['-c', 'import pyftpdlib']).then(
    () => true,
    () => false,
  );
  if (!probe) throw new Error('pyftpdlib is missing: the FTP (MLSD) tests need the Debian package python3-pyftpdlib (apt-get install -y python3-pyftpdlib)');
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-pyftpd-'));
  const root = path.join(dir, 'root');
  await mkdir(root);
  const [low, high] = await freePortRange();
  const script = [
    'import sys',
    'from pyftpdlib.authorizers import DummyAuthorizer',
    'from pyftpdlib.handlers import FTPHandler',
    'from pyftpdlib.servers import FTPServer',
    'user, password, root, low, high, without = sys.argv[1:7]',
    'authorizer = DummyAuthorizer()',
    "authorizer.add_user(user, password, root, perm='elradfmwMT')",
    `authorizer.add_user('${FTP_READER}', password, root, perm='elr')`,
    'class Handler(FTPHandler):',
    '    pass',
    'Handler.authorizer = authorizer',
    'Handler.passive_ports = range(int(low), int(high) + 1)',
    "Handler.proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in without.split(',')}",
    "server = FTPServer(('127.0.0.1', 0), Handler)",
    'print(server.address[1], flush=True)',
    'server.serve_forever()',
  ].join('\n');
  const args = ['-c', script, FTP_USER, FTP_PASSWORD, root, String(low), String(high), (opts.without ?? []).join(',')];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  try {
    const port = await printedPort('pyftpdlib', child, (out) => {
      const m = /^(\d+)\n/.exec(out);
      return m ? Number(m[1]) : undefined;
    });
    await waitUntilAnswers('pyftpdlib', port, child, greetsFtp, () => '');
    // pyftpdlib serves the folder as the user running it: no account of its own.
    const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    return files(root, self, { port, processes: [{ child, port }], cleanup: () => rm(dir, { recursive: true, force: true }) });
  } catch (err) {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function files(
  root: string,
  owner: { uid: number; gid: number },
  s: { port: number; implicitPort?: number; ca?: string; processes: Started[]; cleanup(): Promise<void> },
): FtpTestServer {
  const owned = ownedFiles(root, owner);
  const { local } = owned;
  let stopped: Promise<void> | undefined;
  const server: FtpTestServer = {
    host: '127.0.0.1',
    port: s.port,
    implicitPort: s.implicitPort,
    username: FTP_USER,
    password: FTP_PASSWORD,
    ca: s.ca,
    root,
    ...owned,
    remove: (rel) => unlink(local(rel)),
    dropSessions: async () => {
      for (const p of s.processes) await signalDescendants(p.child.pid, 'SIGKILL');
    },
    stop() {
      stopped ??= (async () => {
        for (const p of s.processes) await stopProcess(p.child);
        await s.cleanup();
      })();
      return stopped;
    },
  };
  return server;
}

function vsftpdConfig(dir: string, root: string, port: number, pasv: [number, number], tls: boolean, implicit: boolean): string {
  const lines = [
    'listen=YES',
    'background=NO',
    'listen_address=127.0.0.1',
    `listen_port=${port}`,
    'anonymous_enable=NO',
    'local_enable=YES',
    'write_enable=YES',
    `local_root=${root}`,
    'local_umask=022',
    'pasv_enable=YES',
    'pasv_address=127.0.0.1',
    `pasv_min_port=${pasv[0]}`,
    `pasv_max_port=${pasv[1]}`,
    'seccomp_sandbox=NO',
    'use_localtime=NO',
    'pam_service_name=vsftpd',
    'max_per_ip=0',
  ];
  if (tls) {
    const pem = path.join(dir, 'cert.pem');
    lines.push('ssl_enable=YES', `rsa_cert_file=${pem}`, `rsa_private_key_file=${pem}`, 'require_ssl_reuse=YES', 'force_local_logins_ssl=NO', 'force_local_data_ssl=NO');
    if (implicit) lines.push('implicit_ssl=YES');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The test account. Its home is `/` (vsftpd enters it before `local_root`) and its shell
 * /bin/bash (PAM's pam_shells); vsftpd refuses users listed in /etc/ftpusers.
 */
async function ensureFtpUser(): Promise<{ uid: number; gid: number }> {
  const account = await ensureTestUser(FTP_USER, FTP_PASSWORD, '/');
  const denied = await readFile('/etc/ftpusers', 'utf8').catch(() => '');
  if (denied.split('\n').some((line) => line.trim() === FTP_USER)) throw new Error(`${FTP_USER} is listed in /etc/ftpusers: remove it there to run the FTP tests`);
  return account;
}

const greetsFtp = (port: number) => answers(port, (line) => line.startsWith('220'));

/**
 * Consecutive ports that are free now, for passive data connections. Every transfer and listing
 * takes one, and a closed one lingers in TIME_WAIT: a client copying many small files with
 * several sessions (rclone) runs out of a small range (426 replies).
 */
const PASSIVE_PORTS = 100;

async function freePortRange(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: PASSIVE_PORTS }, (_, i) => low + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return [low, low + PASSIVE_PORTS - 1];
  }
  throw new Error(`no ${PASSIVE_PORTS} consecutive free ports for passive FTP`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
