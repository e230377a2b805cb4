import { addAbortSignal, Readable } from 'node:stream';
import type { AuthMethod, FileEntryWithStats, ParsedKey, Stats } from 'ssh2';
import { utils } from 'ssh2';
import { connectorError } from '../../src/connector/errors';
import { movePaths, normalizeRemotePath, remoteDirname, remotePathProblem, unsafePathError } from '../../src/connector/paths';
import type { ListOpts, RemoteFile, SignalOpts, SourceConnector } from '../../src/connector/types';
import { isAbortError } from '../../src/lib/errors';
import type { Logger } from '../../src/lib/logger';
import { durationMs, SftpConfig } from './config';
import { isMissing, sftpError } from './errors';
import { PipelinedReadStream } from './read-stream';
import { Lease, SessionPool } from './session-pool';
import { SftpSession } from './sftp-session';

/**
 * Reads as large as the server answers (OpenSSH: 255 KiB; 32 KiB where it does not say), as many
 * in flight as fill 2 MiB: the window ssh2 grants a channel, so requests never wait for it. Each
 * READ is a packet written to the socket; 64 KiB × 16 spent 0.8 s of a 1 GB upload's CPU on those
 * writes alone, and 255 KiB × 8 took the upload from 290-350 MB/s to 340-390.
 */
const MAX_READ_BYTES = 256 * 1024;
const BYTES_IN_FLIGHT = 2 * 1024 * 1024;

export interface SftpConnectorOptions {
  config: SftpConfig;
  logger: Logger;
}

/**
 * An SFTP server as a source. Paths are relative to the folder the account logs in to (its home,
 * or the folder `internal-sftp -d` names), sent to the server as relative paths. At most
 * `maxConnections` SSH connections: each file being read and each listing being walked holds one.
 */
export class SftpConnector implements SourceConnector {
  private readonly config: SftpConfig;
  private readonly logger: Logger;
  private readonly pool: SessionPool;
  private readonly base: string;
  private parsedKey: ParsedKey | undefined;
  private warnedHostKey = false;

  constructor(opts: SftpConnectorOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    const { host, port } = opts.config;
    this.base = `sftp://${host.includes(':') ? `[${host}]` : host}${port === 22 ? '' : `:${port}`}`;
    this.pool = new SessionPool(opts.config.maxConnections, (signal) => this.connect(signal));
  }

  async *list(folder: string, opts: ListOpts): AsyncGenerator<RemoteFile> {
    const { signal, recursive } = opts;
    signal.throwIfAborted();
    const top = normalizeRemotePath(folder);
    const lease = await this.pool.acquire(signal);
    try {
      // Depth first, one folder handle open at a time; sub-folders wait as paths.
      const pending = [top];
      for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
        yield* this.listFolder(lease.session, dir, dir === top, recursive ? pending : undefined, signal);
      }
    } finally {
      // An abort may leave a request unanswered on the server: that connection is not reused.
      lease.release({ reusable: !signal.aborted });
    }
  }

  async stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    return this.withSession(opts.signal, async (session) => {
      try {
        const stats = await session.stat(remote(rel), opts.signal);
        return stats.isFile() ? this.toRemoteFile(rel, stats) : undefined;
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw sftpError(err, 'stat', this.where(rel), rel);
      }
    });
  }

  async open(path: string, opts: SignalOpts): Promise<Readable> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const lease = await this.pool.acquire(signal);
    const { session } = lease;
    const { handle, size } = await this.openFile(lease, rel, signal);
    const chunkSize = Math.min(MAX_READ_BYTES, session.maxReadLength);
    const stream = new PipelinedReadStream({
      readAt: (position, target, cb) => session.read(handle, position, target, cb),
      chunkSize,
      depth: Math.max(1, Math.floor(BYTES_IN_FLIGHT / chunkSize)),
      sizeHint: size,
      mapError: (err) => sftpError(err, 'reading', this.where(rel), rel) as Error,
      // After a failure or an abort, requests may still be queued on the server: start afresh.
      onClose: (error) => (error ? lease.release({ reusable: false }) : closeThenRelease(lease, handle)),
    });
    return addAbortSignal(signal, stream);
  }

  async remove(path: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    if (rel === '') throw unsafePathError(path, 'is the root');
    await this.withSession(signal, async (session) => {
      try {
        await this.requireFile(session, rel, 'removing', signal);
        await session.unlink(remote(rel), signal);
      } catch (err) {
        throw sftpError(err, 'removing', this.where(rel), rel);
      }
    });
  }

  async move(from: string, to: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const { fromRel, toRel } = movePaths(from, to);
    await this.withSession(signal, async (session) => {
      const action = `moving ${this.where(fromRel)} to`;
      try {
        await this.requireFile(session, fromRel, 'moving', signal);
        await this.ensureFolder(session, remoteDirname(toRel), signal);
        await session.rename(remote(fromRel), remote(toRel), signal);
      } catch (err) {
        throw sftpError(err, action, this.where(toRel), fromRel);
      }
    });
  }

  async check(opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    await this.withSession(signal, async (session) => {
      let handle: Buffer | undefined;
      try {
        handle = await session.opendir('.', signal);
        await session.readdir(handle, signal);
      } catch (err) {
        throw sftpError(err, 'listing', this.where(''), '');
      } finally {
        if (handle) await session.closeHandle(handle);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** One folder's files; sub-folders go to `subfolders` when walking recursively. */
  private async *listFolder(session: SftpSession, dir: string, top: boolean, subfolders: string[] | undefined, signal: AbortSignal): AsyncGenerator<RemoteFile> {
    let handle: Buffer;
    try {
      handle = await session.opendir(remote(dir), signal);
    } catch (err) {
      // A sub-folder removed since its parent was read simply has no files left.
      if (!top && isMissing(err)) return;
      throw sftpError(err, 'listing', this.where(dir), dir);
    }
    const opened = handle;
    try {
      for (;;) {
        let entries: FileEntryWithStats[] | undefined;
        try {
          entries = await session.readdir(opened, signal);
        } catch (err) {
          throw sftpError(err, 'listing', this.where(dir), dir);
        }
        if (entries === undefined) return;
        for (const entry of entries) {
          signal.throwIfAborted();
          const file = await this.classify(session, dir, entry, subfolders, signal);
          if (file) yield file;
        }
      }
    } finally {
      // After an abort the connection is dropped, handle and all (see list).
      if (!signal.aborted) await session.closeHandle(opened);
    }
  }

  private async classify(session: SftpSession, dir: string, entry: FileEntryWithStats, subfolders: string[] | undefined, signal: AbortSignal): Promise<RemoteFile | undefined> {
    const name = entry.filename;
    const rel = dir === '' ? name : `${dir}/${name}`;
    const problem = name.includes('/') ? "contains '/'" : remotePathProblem(name);
    if (problem !== undefined) {
      this.logger.warn({ folder: dir, name }, `sftp: skipping an entry whose name ${problem}`);
      return undefined;
    }
    const { attrs } = entry;
    if (attrs.isFile()) return this.toRemoteFile(rel, attrs);
    if (attrs.isDirectory()) {
      subfolders?.push(rel);
      return undefined;
    }
    if (!attrs.isSymbolicLink()) return undefined; // sockets, FIFOs, devices
    try {
      // A link to a file is listed as that file; links to folders are not walked (no loops).
      const target = await session.stat(remote(rel), signal);
      if (target.isFile()) return this.toRemoteFile(rel, target);
      this.logger.debug({ path: rel }, 'sftp: not following a symlink to a folder');
    } catch (err) {
      if (!isMissing(err)) throw sftpError(err, 'listing', this.where(rel), rel);
      this.logger.debug({ path: rel }, 'sftp: skipping a dangling symlink');
    }
    return undefined;
  }

  private toRemoteFile(path: string, attrs: Stats): RemoteFile {
    if (typeof attrs.size !== 'number' || typeof attrs.mtime !== 'number') {
      throw connectorError('unsupported', `listing ${this.where(path)}: the server sent no size or modification time`, { path });
    }
    // SFTP v3 carries whole seconds (traits: mtimePrecisionMs 1000).
    return { path, size: attrs.size, modifiedAt: new Date(attrs.mtime * 1000) };
  }

  /**
   * OPEN and STAT go out together: one round trip per file instead of two, which is what folders
   * of many small files cost. STAT sizes the read window and refuses folders (which OpenSSH lets
   * one open). On failure the handle is closed and the session released.
   */
  private async openFile(lease: Lease, rel: string, signal: AbortSignal): Promise<{ handle: Buffer; size: number }> {
    const { session } = lease;
    const [opening, statting] = await Promise.allSettled([session.openForReading(remote(rel), signal), session.stat(remote(rel), signal)]);
    try {
      if (opening.status === 'rejected') throw opening.reason;
      if (statting.status === 'rejected') throw statting.reason;
      if (!statting.value.isFile()) throw connectorError('not_found', `opening ${this.where(rel)}: not a file`, { path: rel });
      return { handle: opening.value, size: statting.value.size };
    } catch (err) {
      // An abort may leave the OPEN unanswered, and its handle open on the server: start afresh.
      if (signal.aborted) lease.release({ reusable: false });
      else closeThenRelease(lease, opening.status === 'fulfilled' ? opening.value : undefined);
      throw sftpError(err, 'opening', this.where(rel), rel);
    }
  }

  /** not_found unless rel is there and is not a folder (the link itself, for a symlink). */
  private async requireFile(session: SftpSession, rel: string, action: string, signal: AbortSignal): Promise<void> {
    const stats = await session.lstat(remote(rel), signal);
    if (stats.isDirectory()) throw connectorError('not_found', `${action} ${this.where(rel)}: not a file`, { path: rel });
  }

  /** Creates folder rel and its missing parents. */
  private async ensureFolder(session: SftpSession, rel: string, signal: AbortSignal): Promise<void> {
    if (rel === '') return;
    const kind = await folderKind(session, rel, signal);
    if (kind === 'folder') return;
    if (kind === 'other') throw connectorError('config', `creating folder ${this.where(rel)}: a file of that name exists`, { path: rel });
    await this.ensureFolder(session, remoteDirname(rel), signal);
    try {
      await session.mkdir(remote(rel), signal);
    } catch (err) {
      // Created meanwhile by another run or replica: what we wanted.
      if ((await folderKind(session, rel, signal).catch(() => undefined)) !== 'folder') throw sftpError(err, 'creating folder', this.where(rel), rel);
    }
  }

  /** Borrows a session for fn; a session whose request was cut short by an abort is not reused:
   *  the server may still be working on it. */
  private async withSession<T>(signal: AbortSignal, fn: (session: SftpSession) => Promise<T>): Promise<T> {
    const lease = await this.pool.acquire(signal);
    let reusable = true;
    try {
      return await fn(lease.session);
    } catch (err) {
      reusable = !isAbortError(err);
      throw err;
    } finally {
      lease.release({ reusable });
    }
  }

  private connect(signal: AbortSignal): Promise<SftpSession> {
    const { config } = this;
    return SftpSession.connect({
      ssh: {
        host: config.host,
        port: config.port,
        username: config.username,
        authHandler: this.authMethods(),
        readyTimeout: durationMs(config.connectTimeout),
        keepaliveInterval: durationMs(config.keepaliveInterval),
        keepaliveCountMax: config.keepaliveCountMax,
      },
      hostKey: config.insecureSkipHostKeyCheck ? undefined : config.hostKey,
      where: this.base,
      signal,
      onUnverifiedHostKey: (fingerprint) => {
        if (this.warnedHostKey) return;
        this.warnedHostKey = true;
        this.logger.warn({ host: config.host, port: config.port, hostKey: fingerprint }, 'sftp: host key not verified (insecureSkipHostKeyCheck); pin it with hostKey');
      },
    });
  }

  /** Private key first, then password: the order OpenSSH clients use. */
  private authMethods(): AuthMethod[] {
    const { username, password, privateKey } = this.config;
    const methods: AuthMethod[] = [];
    if (privateKey !== undefined) methods.push({ type: 'publickey', username, key: this.privateKey(privateKey) } as AuthMethod);
    if (password !== undefined) methods.push({ type: 'password', username, password } as AuthMethod);
    return methods;
  }

  /** Decrypted once per connector: an encrypted OpenSSH key takes most of a second (bcrypt). */
  private privateKey(text: string): ParsedKey {
    if (this.parsedKey) return this.parsedKey;
    const parsed = utils.parseKey(text, this.config.passphrase);
    if (parsed instanceof Error) {
      // ssh2's messages name the problem, never the key.
      const kind = /passphrase/i.test(parsed.message) ? 'auth' : 'config';
      throw connectorError(kind, `connecting to ${this.base}: privateKey cannot be used: ${parsed.message}`);
    }
    this.parsedKey = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
    return this.parsedKey;
  }

  /** `sftp://host:port/path`, for messages. */
  private where(rel: string): string {
    return `${this.base}/${rel}`;
  }
}

/** The path as sent to the server: relative to the login folder, '.' for that folder itself. */
function remote(rel: string): string {
  return rel === '' ? '.' : rel;
}

async function folderKind(session: SftpSession, rel: string, signal: AbortSignal): Promise<'folder' | 'other' | 'missing'> {
  try {
    const stats = await session.stat(remote(rel), signal);
    return stats.isDirectory() ? 'folder' : 'other';
  } catch (err) {
    if (isMissing(err)) return 'missing';
    throw err;
  }
}

/** The next borrower's requests do not depend on this CLOSE, so the session serves it as soon as
 *  the CLOSE is sent; a connection that dies meanwhile is dropped by the pool. */
function closeThenRelease(lease: Lease, handle: Buffer | undefined): void {
  if (handle) void lease.session.closeHandle(handle);
  lease.release();
}
