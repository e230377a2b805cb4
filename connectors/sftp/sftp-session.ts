import { createHash } from 'node:crypto';
import type { Client, ConnectConfig, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { connectorError } from '../../src/connector/errors';
import { errorMessage } from '../../src/lib/errors';
import { SFTP_STATUS, sftpError, sftpErrorKind } from './errors';

/** ssh2-sftp-client keeps the ssh2 connection it drives here; its typings do not show it. */
interface ClientInternals {
  client: Client;
}

export interface SessionOptions {
  /** Host, port, username, authHandler, timeouts: passed to ssh2 as they are. */
  ssh: Omit<ConnectConfig, 'hostVerifier'>;
  /** Expected `SHA256:…` fingerprint of the host key; undefined accepts any key. */
  hostKey: string | undefined;
  /** `sftp://host:port`, for messages. */
  where: string;
  signal: AbortSignal;
  /** Called with the fingerprint presented when no hostKey is pinned. */
  onUnverifiedHostKey?: (fingerprint: string) => void;
}

type Callback<T> = (err: Error | null | undefined, value: T) => void;

/** For requests that must run to the end (closing a handle), whatever the caller's signal. */
const NEVER: AbortSignal = new AbortController().signal;

/*
 * ssh2 keeps what the server announced in fields its typings do not show; both are read
 * defensively, with the SFTP v3 baseline as fallback.
 */
interface SftpInternals {
  _extensions?: Record<string, string>;
  _maxReadLen?: number;
}

/**
 * One SSH connection with its SFTP channel. ssh2-sftp-client sets the connection up; requests go
 * to its ssh2 SFTP channel directly, because the client's own helpers read a whole folder into
 * an array and stream a file with one request in flight (testbed.md: ~25 MiB/s).
 */
export class SftpSession {
  private dead = false;
  /** Why the connection ended, when it did not end on our request (e.g. "Keepalive timeout"). */
  private cause: unknown;
  /** Rejecters of requests in flight, failed at once when the connection drops. */
  private readonly inFlight = new Set<(err: unknown) => void>();

  private constructor(
    private readonly client: SftpClient,
    private readonly sftp: SFTPWrapper,
  ) {
    const raw = (client as unknown as ClientInternals).client;
    const lost = (err?: unknown) => this.markDead(err);
    raw.on('close', () => lost());
    raw.on('end', () => lost());
    raw.on('error', lost);
    sftp.on('close', () => lost());
  }

  static async connect(opts: SessionOptions): Promise<SftpSession> {
    const { signal, where } = opts;
    signal.throwIfAborted();
    // Events outside our requests are seen by our own listeners; without these no-op callbacks
    // ssh2-sftp-client would print them with console.error.
    const client = new SftpClient('dataflowd', { error: () => undefined, end: () => undefined, close: () => undefined });
    const raw = (client as unknown as ClientInternals).client;
    let presented: string | undefined;
    let rawError: unknown;
    raw.on('error', (err: unknown) => (rawError ??= err));
    const hostVerifier = (key: Buffer): boolean => {
      presented = hostKeyFingerprint(key);
      if (opts.hostKey === undefined) {
        opts.onUnverifiedHostKey?.(presented);
        return true;
      }
      return sameFingerprint(presented, opts.hostKey);
    };
    const onAbort = () => raw.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const sftp = await client.connect({ ...opts.ssh, hostVerifier });
      signal.throwIfAborted();
      // Reads are pipelined: a READ request goes out while earlier answers are still arriving.
      // With Nagle's algorithm on (ssh2's default) such a small request waits for an ACK the
      // server delays by 40 ms; the 1 GB benchmark stalled ~40 times and ran at 140 MB/s
      // instead of 215-250.
      raw.setNoDelay(true);
      return new SftpSession(client, sftp);
    } catch (err) {
      raw.destroy();
      signal.throwIfAborted();
      if (opts.hostKey !== undefined && presented !== undefined && !sameFingerprint(presented, opts.hostKey)) {
        throw connectorError(
          'auth',
          `connecting to ${where}: host key mismatch: the server presented ${presented}, but hostKey is ${opts.hostKey}. ` +
            'If the server was re-keyed, confirm the new fingerprint with its administrator and update hostKey.',
          { cause: err },
        );
      }
      const cause = rawError ?? err;
      if (sftpErrorKind(cause) === 'auth') {
        const tried = describeMethods(opts.ssh);
        throw connectorError('auth', `connecting to ${where}: authentication as "${opts.ssh.username}" failed (${tried} refused)`, { cause });
      }
      throw sftpError(cause, 'connecting to', where);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  get alive(): boolean {
    return !this.dead;
  }

  /**
   * One SFTP request as a promise. Rejects at once when signal aborts (a late reply is ignored)
   * or when the connection is gone, so that no caller waits on a dead channel.
   */
  private request<T>(signal: AbortSignal, send: (sftp: SFTPWrapper, cb: Callback<T>) => void): Promise<T> {
    signal.throwIfAborted();
    if (this.dead) return Promise.reject(lostConnection(this.cause));
    return new Promise<T>((resolve, reject) => {
      const settle = (err: unknown, value?: T) => {
        if (!this.inFlight.delete(fail)) return;
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value as T);
      };
      const fail = (err: unknown) => settle(err);
      const onAbort = () => settle(signal.reason);
      this.inFlight.add(fail);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        send(this.sftp, (err, value) => settle(err ?? undefined, value));
      } catch (err) {
        settle(err);
      }
    });
  }

  stat(path: string, signal: AbortSignal): Promise<Stats> {
    return this.request(signal, (sftp, cb) => sftp.stat(path, cb));
  }

  lstat(path: string, signal: AbortSignal): Promise<Stats> {
    return this.request(signal, (sftp, cb) => sftp.lstat(path, cb));
  }

  opendir(path: string, signal: AbortSignal): Promise<Buffer> {
    return this.request(signal, (sftp, cb) => sftp.opendir(path, cb));
  }

  /** The next page of an open folder, or undefined at its end. */
  async readdir(handle: Buffer, signal: AbortSignal): Promise<FileEntryWithStats[] | undefined> {
    try {
      return await this.request<FileEntryWithStats[]>(signal, (sftp, cb) => sftp.readdir(handle, cb));
    } catch (err) {
      if ((err as { code?: unknown }).code === SFTP_STATUS.EOF) return undefined;
      throw err;
    }
  }

  openForReading(path: string, signal: AbortSignal): Promise<Buffer> {
    return this.request(signal, (sftp, cb) => sftp.open(path, 'r', cb));
  }

  /** Never rejects and cannot be aborted: a handle is closed whatever happened before. */
  closeHandle(handle: Buffer): Promise<boolean> {
    return this.request<void>(NEVER, (sftp, cb) => sftp.close(handle, cb)).then(
      () => true,
      () => false,
    );
  }

  unlink(path: string, signal: AbortSignal): Promise<void> {
    return this.request(signal, (sftp, cb) => sftp.unlink(path, cb));
  }

  mkdir(path: string, signal: AbortSignal): Promise<void> {
    return this.request(signal, (sftp, cb) => sftp.mkdir(path, cb));
  }

  /** Replaces an existing target: atomically where the server has OpenSSH's posix-rename, else
   *  by removing it first, since plain SFTP v3 rename refuses an existing target. */
  async rename(from: string, to: string, signal: AbortSignal): Promise<void> {
    if ((this.sftp as unknown as SftpInternals)._extensions?.['posix-rename@openssh.com'] === '1') {
      return this.request(signal, (sftp, cb) => sftp.ext_openssh_rename(from, to, cb));
    }
    try {
      await this.request<void>(signal, (sftp, cb) => sftp.rename(from, to, cb));
    } catch (err) {
      const existing = await this.lstat(to, signal).catch(() => undefined);
      if (!existing || existing.isDirectory()) throw err;
      await this.unlink(to, signal);
      await this.request<void>(signal, (sftp, cb) => sftp.rename(from, to, cb));
    }
  }

  /** Reads up to target.length bytes at position into target: the hot path, a plain callback, no promise per chunk. */
  read(handle: Buffer, position: number, target: Buffer, cb: (err: unknown, bytes: number) => void): void {
    if (this.dead) return cb(lostConnection(this.cause), 0);
    // ssh2 fails requests cut off by a closing connection with "No response from server"; the
    // reason it closed (a missed keepalive, a reset) says more.
    this.sftp.read(handle, target, 0, target.length, position, (err, bytes) => cb(err && this.dead ? lostConnection(this.cause) : err, bytes));
  }

  /** The longest read the server answers in one reply: ssh2 splits longer ones into sequential
   *  requests, which would undo the pipelining. */
  get maxReadLength(): number {
    const max = (this.sftp as unknown as SftpInternals)._maxReadLen;
    return typeof max === 'number' && max > 0 ? max : 32 * 1024;
  }

  /** Closes the connection. Never throws; bounded even when the server does not answer. */
  async end(): Promise<void> {
    const raw = (this.client as unknown as ClientInternals).client;
    this.markDead();
    const timer = setTimeout(() => raw.destroy(), 2_000);
    timer.unref();
    try {
      await this.client.end();
    } catch {
      raw.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  private markDead(err?: unknown): void {
    this.dead = true;
    this.cause ??= err;
    // Each one removes itself from the set as it settles.
    for (const fail of [...this.inFlight]) fail(lostConnection(this.cause));
  }
}

/** Plain, so that callers wrap it with what they were doing; kind transient (errors.ts). */
function lostConnection(cause: unknown): Error {
  return new Error(cause === undefined ? 'the connection was lost' : `the connection was lost: ${errorMessage(cause)}`, { cause });
}

/** What `ssh-keygen -l -E sha256` prints: SHA256 and the unpadded base64 of the key blob's hash. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}

function describeMethods(ssh: SessionOptions['ssh']): string {
  const methods = Array.isArray(ssh.authHandler) ? ssh.authHandler.map((m) => (typeof m === 'string' ? m : m.type)) : [];
  const names = methods.map((m) => (m === 'publickey' ? 'private key' : m));
  return names.length > 0 ? names.join(' and ') : 'every method';
}
