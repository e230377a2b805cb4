import { randomUUID } from 'node:crypto';
import { BigIntStats, createReadStream, createWriteStream, Dir, Dirent } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as nodePath from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connectorError } from '../../src/connector/errors';
import { movePaths, normalizeRemotePath, remoteBasename, remoteDirname, unsafePathError } from '../../src/connector/paths';
import type { ListOpts, RemoteFile, SignalOpts, SourceConnector } from '../../src/connector/types';
import type { Logger } from '../../src/lib/logger';
import { errnoCode, isMissing, localError } from './errors';

export interface LocalConnectorOptions {
  /** Absolute path of the connection's root folder. */
  root: string;
  logger: Logger;
}

/** Directory entries classified at once (their stats run in parallel). */
const LIST_BATCH = 256;

/**
 * Bytes per read: 1 MiB instead of the stream default of 64 KiB, so a large file passes the
 * pipeline (prep, upload chunks) in 16 times fewer pieces. A smaller file gets reads of its own
 * size: Node allocates a whole read buffer for every read, the last one (which finds the end)
 * included, so a 100 KB file read with 1 MiB buffers cost 2 MiB of garbage.
 */
const READ_BUFFER_BYTES = 1024 * 1024;
const MIN_READ_BUFFER_BYTES = 64 * 1024;

/** What one directory entry turned out to be, after following a symlink that stays inside. */
type Entry = { kind: 'file'; stats: BigIntStats } | { kind: 'folder'; real: string } | undefined;

/**
 * A folder on this machine as a source. Every path is checked twice: lexically (no '..', see
 * src/connector/paths) and physically (its real path, symlinks resolved, must lie inside the
 * root's real path). Symlinks that stay inside the root are followed, files and folders alike;
 * symlinks that lead outside it, dangling ones and loops are skipped by `list` and are
 * "not found" for every other operation.
 */
export class LocalConnector implements SourceConnector {
  readonly root: string;
  private readonly logger: Logger;
  private realRootCache: string | undefined;

  constructor(opts: LocalConnectorOptions) {
    this.root = opts.root;
    this.logger = opts.logger;
  }

  async *list(folder: string, opts: ListOpts): AsyncGenerator<RemoteFile> {
    const { signal, recursive } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(folder);
    const realRoot = await this.realRoot();
    const real = await this.resolveInside(realRoot, rel, 'listing');
    yield* this.walk({ rel, real, top: true, ancestors: [real] }, recursive, realRoot, signal);
  }

  async stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const realRoot = await this.realRoot();
    try {
      const real = await fsp.realpath(toLocal(realRoot, rel));
      if (!isInside(realRoot, real)) return undefined;
      const stats = await fsp.stat(real, { bigint: true });
      return stats.isFile() ? toRemoteFile(rel, stats) : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw localError(err, 'stat', rel);
    }
  }

  async open(path: string, opts: SignalOpts): Promise<Readable> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const realRoot = await this.realRoot();
    const real = await this.resolveInside(realRoot, rel, 'opening');
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(real, 'r');
    } catch (err) {
      throw localError(err, 'opening', rel);
    }
    let size: number;
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw connectorError('not_found', `opening ${JSON.stringify(rel)}: not a file`, { path: rel });
      size = stats.size;
      signal.throwIfAborted();
    } catch (err) {
      await handle.close();
      throw localError(err, 'opening', rel);
    }
    const highWaterMark = Math.min(READ_BUFFER_BYTES, Math.max(MIN_READ_BUFFER_BYTES, size));
    // The stream owns the handle from here (autoClose): closed on end, error or destroy.
    return addAbortSignal(signal, handle.createReadStream({ highWaterMark }));
  }

  async remove(path: string, opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    if (rel === '') throw unsafePathError(path, 'is the root');
    const realRoot = await this.realRoot();
    const target = await this.entryInside(realRoot, rel, 'removing');
    try {
      await fsp.unlink(target);
    } catch (err) {
      throw localError(err, 'removing', rel);
    }
  }

  async move(from: string, to: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const { fromRel, toRel } = movePaths(from, to);
    const realRoot = await this.realRoot();
    const source = await this.entryInside(realRoot, fromRel, 'moving');
    const targetFolder = await this.ensureFolder(realRoot, remoteDirname(toRel), signal);
    const target = nodePath.join(targetFolder, remoteBasename(toRel));
    signal.throwIfAborted();
    try {
      await fsp.rename(source, target);
    } catch (err) {
      if (errnoCode(err) !== 'EXDEV') throw localError(err, `moving ${JSON.stringify(fromRel)} to`, toRel);
      try {
        await copyThenUnlink(source, target, signal);
      } catch (copyErr) {
        throw localError(copyErr, `copying ${JSON.stringify(fromRel)} across devices to`, toRel);
      }
    }
  }

  async check(opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const realRoot = await this.realRoot();
    let dir: Dir | undefined;
    try {
      dir = await fsp.opendir(realRoot);
      await dir.read();
    } catch (err) {
      throw localError(err, 'listing root', '');
    } finally {
      await dir?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // Nothing to release: every operation opens and closes its own handles.
  }

  private async realRoot(): Promise<string> {
    if (this.realRootCache !== undefined) return this.realRootCache;
    try {
      this.realRootCache = await fsp.realpath(this.root);
      return this.realRootCache;
    } catch (err) {
      if (isMissing(err)) throw connectorError('not_found', `root folder ${this.root} does not exist`, { cause: err });
      throw localError(err, `resolving root folder ${this.root}`, '');
    }
  }

  /** The real path of rel, which must exist and stay inside the root. */
  private async resolveInside(realRoot: string, rel: string, action: string): Promise<string> {
    let real: string;
    try {
      real = await fsp.realpath(toLocal(realRoot, rel));
    } catch (err) {
      throw localError(err, action, rel);
    }
    if (!isInside(realRoot, real)) throw outsideRoot(action, rel);
    return real;
  }

  /** The local path of rel's own entry (a symlink itself, not its target), which must exist, not
   *  be a folder, and sit in a folder inside the root. */
  private async entryInside(realRoot: string, rel: string, action: string): Promise<string> {
    const folder = await this.resolveInside(realRoot, remoteDirname(rel), action);
    const entry = nodePath.join(folder, remoteBasename(rel));
    let stats;
    try {
      stats = await fsp.lstat(entry);
    } catch (err) {
      throw localError(err, action, rel);
    }
    if (stats.isDirectory()) throw connectorError('not_found', `${action} ${JSON.stringify(rel)}: not a file`, { path: rel });
    return entry;
  }

  /** Creates folder rel (and its parents) below the root; returns its real path. The deepest
   *  folder that already exists must be inside the root before anything is created under it. */
  private async ensureFolder(realRoot: string, rel: string, signal: AbortSignal): Promise<string> {
    const segments = rel === '' ? [] : rel.split('/');
    let depth = segments.length;
    let base = realRoot;
    for (; depth >= 0; depth--) {
      try {
        base = await fsp.realpath(toLocal(realRoot, segments.slice(0, depth).join('/')));
        break;
      } catch (err) {
        if (!isMissing(err) || depth === 0) throw localError(err, 'creating folder', rel);
      }
    }
    if (!isInside(realRoot, base)) throw outsideRoot('creating folder', rel);
    if (depth < segments.length) {
      signal.throwIfAborted();
      try {
        await fsp.mkdir(nodePath.join(base, ...segments.slice(depth)), { recursive: true });
      } catch (err) {
        throw localError(err, 'creating folder', rel);
      }
    }
    return this.resolveInside(realRoot, rel, 'creating folder');
  }

  private async *walk(dir: WalkDir, recursive: boolean, realRoot: string, signal: AbortSignal): AsyncGenerator<RemoteFile> {
    let handle: Dir;
    try {
      handle = await fsp.opendir(dir.real, { bufferSize: 256 });
    } catch (err) {
      // A sub-folder removed since its parent was read simply has no files left.
      if (!dir.top && isMissing(err)) return;
      throw localError(err, 'listing', dir.rel);
    }
    try {
      for (;;) {
        // Entries are classified a batch at a time, their stats in parallel: one stat after
        // another is what makes a folder of 100k files slow to list.
        const batch: Dirent[] = [];
        let end = false;
        try {
          while (batch.length < LIST_BATCH) {
            const d = await handle.read();
            if (d === null) {
              end = true;
              break;
            }
            batch.push(d);
          }
        } catch (err) {
          throw localError(err, 'listing', dir.rel);
        }
        if (batch.length === 0) return;
        signal.throwIfAborted();
        const rels = batch.map((d) => (dir.rel === '' ? d.name : `${dir.rel}/${d.name}`));
        const entries = await Promise.all(batch.map((d, i) => this.classify(d, nodePath.join(dir.real, d.name), rels[i], realRoot)));
        for (const [i, entry] of entries.entries()) {
          signal.throwIfAborted();
          const rel = rels[i];
          if (entry?.kind === 'file') yield toRemoteFile(rel, entry.stats);
          if (entry?.kind === 'folder' && recursive) {
            if (dir.ancestors.includes(entry.real)) {
              this.logger.debug({ path: rel }, 'local: skipping symlink loop');
              continue;
            }
            yield* this.walk({ rel, real: entry.real, top: false, ancestors: [...dir.ancestors, entry.real] }, recursive, realRoot, signal);
          }
        }
        if (end) return;
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async classify(dirent: Dirent, local: string, rel: string, realRoot: string): Promise<Entry> {
    try {
      if (dirent.isDirectory()) return { kind: 'folder', real: local };
      let real = local;
      if (dirent.isSymbolicLink()) {
        real = await fsp.realpath(local);
        if (!isInside(realRoot, real)) {
          this.logger.debug({ path: rel }, 'local: skipping symlink to outside the root');
          return undefined;
        }
      } else if (!dirent.isFile()) {
        return undefined; // sockets, FIFOs, devices: not files one can ingest
      }
      const stats = await fsp.stat(real, { bigint: true });
      if (stats.isFile()) return { kind: 'file', stats };
      return stats.isDirectory() ? { kind: 'folder', real } : undefined;
    } catch (err) {
      // Removed since the folder was read, a dangling symlink, or a symlink loop: no file here.
      if (isMissing(err) || errnoCode(err) === 'ELOOP') return undefined;
      throw localError(err, 'listing', rel);
    }
  }
}

interface WalkDir {
  rel: string;
  real: string;
  top: boolean;
  /** Real paths of the folders being walked, to stop at symlink loops. */
  ancestors: readonly string[];
}

/** For a rename that cannot cross devices: copy to a hidden temporary name next to the target (so
 *  a half-copied file is never selected by default globs), keep the mtime, rename, then unlink. */
export async function copyThenUnlink(source: string, target: string, signal: AbortSignal): Promise<void> {
  const temp = nodePath.join(nodePath.dirname(target), `.${nodePath.basename(target)}.${randomUUID()}.part`);
  try {
    const stats = await fsp.stat(source);
    await pipeline(createReadStream(source), createWriteStream(temp, { flags: 'wx' }), { signal });
    await fsp.utimes(temp, stats.atime, stats.mtime);
    await fsp.rename(temp, target);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await fsp.unlink(source);
}

function toLocal(realRoot: string, rel: string): string {
  return rel === '' ? realRoot : nodePath.join(realRoot, ...rel.split('/'));
}

function isInside(realRoot: string, real: string): boolean {
  const prefix = realRoot.endsWith(nodePath.sep) ? realRoot : realRoot + nodePath.sep;
  return real === realRoot || real.startsWith(prefix);
}

function outsideRoot(action: string, rel: string) {
  return connectorError('not_found', `${action} ${JSON.stringify(rel)}: leads outside the root (symlink)`, { path: rel });
}

/** Nanosecond mtimes rounded to the millisecond: Date holds no more, and rounding (not
 *  truncating) survives utimes' float-seconds round trip (.891 s stored as .890999999). */
function toRemoteFile(path: string, stats: BigIntStats): RemoteFile {
  return { path, size: Number(stats.size), modifiedAt: new Date(Number((stats.mtimeNs + 500_000n) / 1_000_000n)) };
}
