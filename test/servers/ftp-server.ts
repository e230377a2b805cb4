import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The account the tests log in with; created on first use (tests run as root). */
export const FTP_USER = 'dataflowd-ftp';
export const FTP_PASSWORD = 'ftp-test-pass-4c1e';
/** pyftpdlib's second account, which may list and read but not delete or rename. */
export const FTP_READER = 'reader';

const VSFTPD = '/usr/sbin/vsftpd';
const PYTHON = '/usr/bin/python3';
const READY_MS = 10_000;

export interface FtpTestServer {
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
  local(rel: string): string;
  /** Writes a file below the root, owned by the test user, creating its folders. */
  put(rel: string, data: Buffer | string): Promise<void>;
  mkdir(rel: string): Promise<void>;
  remove(rel: string): Promise<void>;
  read(rel: string): Promise<Buffer | undefined>;
  setModifiedAt(rel: string, at: Date): Promise<void>;
  /** Kills every session process, not the listener: connections drop as if the network did. */
  dropSessions(): Promise<void>;
  /** Stops the server(s) by pid and deletes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  port: number;
}

/**
 * vsftpd on 127.0.0.1 (reference/testbed.md): LIST only, no MLSD. With `tls`, a self-signed
 * certificate made with openssl, plain + explicit TLS on `port` and a second instance with
 * implicit TLS on `implicitPort`.
 */
export async function startVsftpd(opts: { tls?: boolean } = {}): Promise<FtpTestServer> {
  requireFile(VSFTPD, 'vsftpd');
  if (opts.tls) requireFile('/usr/bin/openssl', 'openssl');
  const account = await ensureUser();
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
    started.push(await startOnFreePort(vsftpd('vsftpd.conf', false), 'vsftpd', false));
    if (opts.tls) started.push(await startOnFreePort(vsftpd('vsftpd-implicit.conf', true), 'vsftpd (implicit TLS)', true));
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
  requireFile(PYTHON, 'python3');
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
    const port = await printedPort(child);
    await waitForBanner(port, child, () => '');
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
  const local = (rel: string) => path.join(root, ...rel.split('/').filter(Boolean));
  let stopped: Promise<void> | undefined;
  const server: FtpTestServer = {
    host: '127.0.0.1',
    port: s.port,
    implicitPort: s.implicitPort,
    username: FTP_USER,
    password: FTP_PASSWORD,
    ca: s.ca,
    root,
    local,
    async put(rel, data) {
      await server.mkdir(path.posix.dirname(rel));
      await writeFile(local(rel), data);
      await chown(local(rel), owner.uid, owner.gid);
    },
    async mkdir(rel) {
      let at = root;
      for (const segment of rel.split('/').filter((p) => p !== '' && p !== '.')) {
        at = path.join(at, segment);
        if (existsSync(at)) continue;
        await mkdir(at);
        await chown(at, owner.uid, owner.gid);
      }
    },
    remove: (rel) => unlink(local(rel)),
    read: (rel) => readFile(local(rel)).catch(() => undefined),
    setModifiedAt: (rel, at) => utimes(local(rel), at, at),
    dropSessions: async () => {
      for (const p of s.processes) await killChildren(p.child.pid);
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

function requireFile(file: string, pkg: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: the FTP tests need the Debian package ${pkg} (apt-get install -y ${pkg})`);
}

/**
 * The test account, created idempotently and safely when several test files start servers at once:
 * the password is set as a fixed hash (deterministic salt), and only when it differs. Its home is
 * `/` (vsftpd enters it before `local_root`) and its shell /bin/bash (PAM's pam_shells).
 */
async function ensureUser(): Promise<{ uid: number; gid: number }> {
  const exists = await run('id', ['-u', FTP_USER]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run('useradd', ['-M', '-d', '/', '-s', '/bin/bash', FTP_USER]).catch((err: { code?: number }) => {
      if (err.code !== 9) throw err; // 9: created meanwhile by another test file
    });
  }
  const denied = await readFile('/etc/ftpusers', 'utf8').catch(() => '');
  if (denied.split('\n').some((line) => line.trim() === FTP_USER)) throw new Error(`${FTP_USER} is listed in /etc/ftpusers: remove it there to run the FTP tests`);
  const { stdout: hash } = await run('openssl', ['passwd', '-6', '-salt', 'dataflowdftp', FTP_PASSWORD]);
  const shadow = await readFile('/etc/shadow', 'utf8');
  if (!shadow.split('\n').some((line) => line.startsWith(`${FTP_USER}:${hash.trim()}:`))) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('chpasswd', ['-e'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed (${code}): ${stderr}`))));
      child.stdin.end(`${FTP_USER}:${hash.trim()}\n`);
    });
  }
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', FTP_USER]), run('id', ['-g', FTP_USER])]);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts a server on a free port; another process may take the port first, so a few are tried. */
async function startOnFreePort(spawnOn: (port: number) => Promise<ChildProcess>, name: string, implicit: boolean): Promise<Started> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = await spawnOn(port);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    try {
      await waitForBanner(port, child, () => `${name}: ${stderr}`, implicit);
      return { child, port };
    } catch (err) {
      lastError = err;
      await stopProcess(child);
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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

function printedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`pyftpdlib did not start within ${READY_MS} ms: ${err}`)), READY_MS);
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pyftpdlib exited (${code}) before it was ready: ${err}`));
    });
  });
}

/** Polls the port until it answers 220 (or, for implicit TLS, accepts a connection). */
async function waitForBanner(port: number, child: ChildProcess, output: () => string, acceptOnly = false): Promise<void> {
  const deadline = Date.now() + READY_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the FTP server exited before it was ready: ${output()}`);
    if (await answers(port, acceptOnly)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the FTP server did not answer on 127.0.0.1:${port} within ${READY_MS} ms: ${output()}`);
}

function answers(port: number, acceptOnly: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    if (acceptOnly) socket.on('connect', () => done(true));
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('220'));
    });
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}

/** Kills every descendant of pid: vsftpd runs each session as two processes below the listener. */
async function killChildren(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
    await killChildren(child);
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await killChildren(child.pid);
  child.kill('SIGTERM');
  await exited;
}
