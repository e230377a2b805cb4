import { ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { promisify } from 'node:util';

/*
 * What the test servers share: the Debian packages they need, the local account they log in
 * with, a free port on loopback, waiting until a server answers, and stopping it with every
 * process below it.
 */

export const run = promisify(execFile);

const READY_MS = 15_000;
const STOP_MS = 5_000;

/** A missing server binary fails the tests with the package to install; they never skip. */
export function requirePackage(file: string, pkg: string, tests: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: the ${tests} tests need the Debian package ${pkg} (apt-get install -y ${pkg})`);
}

/**
 * A local account for a server to log in (tests run as root), created idempotently and safely
 * when several test files start servers at once: the password is set as a fixed hash
 * (deterministic salt), and only when it differs.
 */
export async function ensureTestUser(user: string, password: string, home: string): Promise<{ uid: number; gid: number }> {
  const exists = await run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run('useradd', ['-M', '-d', home, '-s', '/bin/bash', user]).catch((err: { code?: number }) => {
      if (err.code !== 9) throw err; // 9: created meanwhile by another test file
    });
  }
  const { stdout } = await run('openssl', ['passwd', '-6', '-salt', 'dataflowdtest', password]);
  const hash = stdout.trim();
  const shadow = await readFile('/etc/shadow', 'utf8');
  if (!shadow.split('\n').some((line) => line.startsWith(`${user}:${hash}:`))) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('chpasswd', ['-e'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed (${code}): ${stderr}`))));
      child.stdin.end(`${user}:${hash}\n`);
    });
  }
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid), gid: Number(gid) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  port: number;
}

/**
 * A server that is told its port (sshd, vsftpd): another process may take a free port before
 * the server binds it, so a few are tried. `answers` says whether the port serves yet.
 */
export async function startOnFreePort(name: string, spawnOn: (port: number) => Promise<ChildProcess>, answers: (port: number) => Promise<boolean>): Promise<Started> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = await spawnOn(port);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    try {
      await waitUntilAnswers(name, port, child, answers, () => stderr);
      return { child, port };
    } catch (err) {
      lastError = err;
      await stopProcess(child);
    }
  }
  throw lastError;
}

/** Polls the port until `answers` says yes, the server exits, or the deadline passes. */
export async function waitUntilAnswers(name: string, port: number, child: ChildProcess, answers: (port: number) => Promise<boolean>, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited before it was ready: ${output()}`);
    if (await answers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${name} did not answer on 127.0.0.1:${port} within ${READY_MS} ms: ${output()}`);
}

/**
 * Whether the port serves: it accepts a connection and, given `isGreeting`, greets it with a
 * first line that `isGreeting` accepts (SSH's banner, FTP's 220). Without it, accepting is enough
 * (implicit TLS waits for the client's hello).
 */
export function answers(port: number, isGreeting?: (line: string) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    if (!isGreeting) socket.on('connect', () => done(true));
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (data.includes('\n')) done(isGreeting?.(data) ?? true);
    });
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}

/**
 * A server that picks its own port and prints it (Azurite's banner, s3rver's launcher,
 * pyftpdlib): the port `portIn` finds in its standard output so far. Both pipes are drained
 * from then on, so that a chatty server never blocks on a full one.
 */
export function printedPort(name: string, child: ChildProcess, portIn: (stdout: string) => number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`${name} did not start within ${READY_MS} ms: ${err.trim()}`)), READY_MS);
    const onExit = (code: number | null) => done(new Error(`${name} exited with ${code} before it was ready: ${err.trim()}`));
    const onOut = (chunk: Buffer) => {
      out += chunk.toString();
      const port = portIn(out);
      if (port !== undefined) done(undefined, port);
    };
    const onErr = (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000));
    function done(error: Error | undefined, port?: number) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onOut);
      child.stdout!.resume();
      if (error) reject(error);
      else resolve(port!);
    }
    child.once('exit', onExit);
    child.stdout!.on('data', onOut);
    child.stderr!.on('data', onErr);
  });
}

/** Signals every descendant of pid, deepest first: sshd and vsftpd run a session two processes deep. */
export async function signalDescendants(pid: number | undefined, signal: NodeJS.Signals): Promise<void> {
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

/**
 * Stops a server and every process below it (a listener does not take its sessions down on
 * SIGTERM; frozen ones are let go first so that they can die), killing it when it does not exit
 * within a few seconds. Idempotent.
 */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  await signalDescendants(child.pid, 'SIGCONT');
  await signalDescendants(child.pid, 'SIGKILL');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}
