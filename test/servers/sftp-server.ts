import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OwnedFiles, ownedFiles } from './owned-files';
import { answers, ensureTestUser, requirePackage, run, signalDescendants, startOnFreePort, stopProcess } from './processes';

/** The account the tests log in with; created on first use (tests run as root). */
export const SFTP_USER = 'dataflowd-sftp';
export const SFTP_PASSWORD = 'sftp-test-pass-7f3a';
/** Passphrase of the encrypted client keys. */
export const KEY_PASSPHRASE = 'key-passphrase-91c2';

const SSHD = '/usr/sbin/sshd';

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

/** Files below `root` are written as the test user would own them (owned-files.ts). */
export interface SftpServer extends OwnedFiles {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Folder on this machine where the user lands: the connection's root. */
  root: string;
  /** `SHA256:…` of the server's host key, as `ssh-keygen -l -E sha256` prints it. */
  hostKey: string;
  keys: ClientKeys;
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
  requirePackage(SSHD, 'openssh-server', 'SFTP');
  requirePackage('/usr/bin/ssh-keygen', 'openssh-client', 'SFTP');
  requirePackage('/usr/bin/openssl', 'openssl', 'SFTP');
  const account = await ensureTestUser(SFTP_USER, SFTP_PASSWORD, '/nonexistent');
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
      ...ownedFiles(root, account),
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

/** sshd on a free port, ready once it greets with its banner. */
function startSshd(dir: string, root: string): Promise<{ child: ChildProcess; port: number }> {
  return startOnFreePort(
    'sshd',
    async (port) => {
      await writeFile(path.join(dir, 'sshd_config'), sshdConfig(dir, root, port));
      return spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    },
    (port) => answers(port, (line) => line.startsWith('SSH-2.0-')),
  );
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
