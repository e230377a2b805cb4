import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The account the tests log in with; created on first use (tests run as root). */
export const SFTP_USER = 'dataflowd-sftp';
export const SFTP_PASSWORD = 'sftp-test-pass-7f3a';
/** Passphrase of the encrypted client keys. */
export const KEY_PASSPHRASE = 'key-passphrase-91c2';

const SSHD = '/usr/sbin/sshd';
const READY_MS = 10_000;

export interface ClientKeys {
  ed25519: string;
  ed25519Encrypted: string;
  rsa: string;
  rsaEncrypted: string;
  /** An RSA key in the legacy PEM format, encrypted (what older tools still produce). */
  rsaPemEncrypted: string;
  /** A valid key the server does not know. */
  unknown: string;
  /** The public half of `ed25519`, one line. */
  ed25519Public: string;
}

export interface SftpServer {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Folder on this machine where the user lands: the connection's root. */
  root: string;
  /** `SHA256:…` of the server's host key, as `ssh-keygen -l -E sha256` prints it. */
  hostKey: string;
  keys: ClientKeys;
  /** Local path of a file below the root ('/'-separated relative path). */
  local(rel: string): string;
  /** Writes a file below the root as the test user would own it, creating its folders. */
  put(rel: string, data: Buffer | string): Promise<void>;
  /** Creates folders below the root, owned by the test user. */
  mkdir(rel: string): Promise<void>;
  /** Kills every session process (not the listener): connections drop as if the network did. */
  dropSessions(): Promise<void>;
  /** Stops every session process (SIGSTOP): connections stay open but nothing answers, as
   *  behind a dead link. Resolves to a function that lets them go on (SIGCONT). */
  freezeSessions(): Promise<() => Promise<void>>;
  /** Stops sshd by its pid and deletes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * OpenSSH sshd on 127.0.0.1 on a free port, in a temp folder of its own (reference/testbed.md):
 * own host key, own config, `internal-sftp` landing in `<dir>/root`, password and public-key
 * login for one local user.
 */
export async function startSftpServer(): Promise<SftpServer> {
  requireBinaries();
  const account = await ensureUser();
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-sftp-'));
  // sshd's user must traverse the temp folder (mkdtemp makes it 0700) to reach its root.
  await chmod(dir, 0o755);
  const root = path.join(dir, 'root');
  await mkdir(root);
  await chown(root, account.uid, account.gid);
  await mkdir('/run/sshd', { recursive: true });
  let child: ChildProcess | undefined;
  try {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host')]);
    const keys = await makeClientKeys(dir);
    const hostKey = fingerprint(await readFile(path.join(dir, 'host.pub'), 'utf8'));
    const started = await startSshd(dir, root);
    child = started.child;
    const server: SftpServer = {
      host: '127.0.0.1',
      port: started.port,
      username: SFTP_USER,
      password: SFTP_PASSWORD,
      root,
      hostKey,
      keys: keys.privates,
      local: (rel) => path.join(root, ...rel.split('/').filter(Boolean)),
      async put(rel, data) {
        await server.mkdir(path.posix.dirname(rel));
        await writeFile(server.local(rel), data);
        await chown(server.local(rel), account.uid, account.gid);
      },
      async mkdir(rel) {
        let at = root;
        for (const segment of rel.split('/').filter((s) => s !== '' && s !== '.')) {
          at = path.join(at, segment);
          if (existsSync(at)) continue;
          await mkdir(at);
          await chown(at, account.uid, account.gid);
        }
      },
      dropSessions: () => signalDescendants(started.child.pid, 'SIGKILL'),
      async freezeSessions() {
        await signalDescendants(started.child.pid, 'SIGSTOP');
        return () => signalDescendants(started.child.pid, 'SIGCONT');
      },
      async stop() {
        await stopProcess(started.child);
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (err) {
    if (child) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function requireBinaries(): void {
  for (const [file, pkg] of [
    [SSHD, 'openssh-server'],
    ['/usr/bin/ssh-keygen', 'openssh-client'],
    ['/usr/bin/openssl', 'openssl'],
  ]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: the SFTP tests need the Debian package ${pkg} (apt-get install -y ${pkg})`);
  }
}

/**
 * The test account, created idempotently and safely when several test files start servers at once:
 * the password is set as a fixed hash (deterministic salt), and only when it differs.
 */
async function ensureUser(): Promise<{ uid: number; gid: number }> {
  const exists = await run('id', ['-u', SFTP_USER]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/bash', SFTP_USER]).catch((err: { code?: number }) => {
      if (err.code !== 9) throw err; // 9: created meanwhile by another test file
    });
  }
  const { stdout: hash } = await run('openssl', ['passwd', '-6', '-salt', 'dataflowdsftp', SFTP_PASSWORD]);
  const shadow = await readFile('/etc/shadow', 'utf8');
  if (!shadow.split('\n').some((line) => line.startsWith(`${SFTP_USER}:${hash.trim()}:`))) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('chpasswd', ['-e'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed (${code}): ${stderr}`))));
      child.stdin.end(`${SFTP_USER}:${hash.trim()}\n`);
    });
  }
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', SFTP_USER]), run('id', ['-g', SFTP_USER])]);
  return { uid: Number(uid), gid: Number(gid) };
}

async function makeClientKeys(dir: string): Promise<{ privates: ClientKeys }> {
  const specs: Array<[Exclude<keyof ClientKeys, 'ed25519Public'>, string[], boolean]> = [
    ['ed25519', ['-t', 'ed25519', '-N', ''], true],
    ['ed25519Encrypted', ['-t', 'ed25519', '-N', KEY_PASSPHRASE], true],
    ['rsa', ['-t', 'rsa', '-b', '2048', '-N', ''], true],
    ['rsaEncrypted', ['-t', 'rsa', '-b', '2048', '-N', KEY_PASSPHRASE], true],
    ['rsaPemEncrypted', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', KEY_PASSPHRASE], true],
    ['unknown', ['-t', 'ed25519', '-N', ''], false],
  ];
  const privates = {} as ClientKeys;
  const authorized: string[] = [];
  await Promise.all(
    specs.map(async ([name, args, authorize]) => {
      const file = path.join(dir, `client-${name}`);
      await run('ssh-keygen', ['-q', ...args, '-C', name, '-f', file]);
      privates[name] = await readFile(file, 'utf8');
      if (authorize) authorized.push((await readFile(`${file}.pub`, 'utf8')).trim());
    }),
  );
  privates.ed25519Public = (await readFile(path.join(dir, 'client-ed25519.pub'), 'utf8')).trim();
  await writeFile(path.join(dir, 'authorized_keys'), `${authorized.join('\n')}\n`);
  return { privates };
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as OpenSSH prints it. */
function fingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Starts sshd on a free port; another process may take the port first, so a few ports are tried. */
async function startSshd(dir: string, root: string): Promise<{ child: ChildProcess; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(path.join(dir, 'sshd_config'), sshdConfig(dir, root, port));
    const child = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    try {
      await waitForBanner(port, child, () => stderr);
      return { child, port };
    } catch (err) {
      lastError = err;
      await stopProcess(child);
    }
  }
  throw lastError;
}

function sshdConfig(dir: string, root: string, port: number): string {
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${path.join(dir, 'host')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'PermitRootLogin no',
    `AllowUsers ${SFTP_USER}`,
    'Subsystem sftp internal-sftp',
    `ForceCommand internal-sftp -d ${root}`,
    'MaxSessions 20',
    'MaxStartups 100',
    'LogLevel ERROR',
    '',
  ].join('\n');
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

/** Polls the port until it answers with the SSH banner, sshd exits, or the deadline passes. */
async function waitForBanner(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`sshd exited before it was ready: ${stderr()}`);
    if (await answersBanner(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${READY_MS} ms: ${stderr()}`);
}

function answersBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (data.includes('\n')) done(data.startsWith('SSH-2.0-'));
    });
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}

/** Signals every descendant of pid: with privilege separation a session is two processes deep. */
async function signalDescendants(pid: number | undefined, signal: NodeJS.Signals): Promise<void> {
  if (pid === undefined) return;
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
    await signalDescendants(child, signal);
    try {
      process.kill(child, signal);
    } catch {
      // already gone
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Sessions are sshd's children; the listener does not take them down on SIGTERM.
  await signalDescendants(child.pid, 'SIGCONT');
  await signalDescendants(child.pid, 'SIGKILL');
  child.kill('SIGTERM');
  await exited;
}
