import { Client, FileInfo, FileType } from 'basic-ftp';
import type { Readable } from 'node:stream';
import { connectorError, isNotFound } from '../../src/connector/errors';
import { joinRemotePath, normalizeRemotePath, remoteDirname, remotePathProblem, unsafePathError } from '../../src/connector/paths';
import type { ConnectorTraits, ListOpts, RemoteFile, SignalOpts, SourceConnector } from '../../src/connector/types';
import type { Logger } from '../../src/lib/logger';
import { ftpError, replyCode } from './errors';
import { download } from './ftp-download';
import { dateOnly, ListingFormatError, parseMlsxLine, parseMlsxTime } from './ftp-listing';
import { FtpPool, FtpPoolOptions, FtpServerInfo } from './ftp-pool';

/** MLSD and MDTM give whole seconds (some servers add milliseconds); LIST gives minutes. */
const MLSD_PRECISION_MS = 1_000;
const LIST_PRECISION_MS = 60_000;

export interface FtpConnectorOptions extends FtpPoolOptions {
  logger: Logger;
}

type FolderEntry = { kind: 'file'; file: RemoteFile } | { kind: 'folder'; path: string };

/**
 * An FTP or FTPS server as a source (basic-ftp, passive mode). Paths are relative to the login
 * folder. Listings are MLSD when the server offers it (FEAT), else LIST with times to the
 * minute, which `traits()` declares to the core; `stat` answers from the same source (MLST, or
 * SIZE + MDTM cut to the minute) so that a fresh stat and the listing always agree.
 */
export class FtpConnector implements SourceConnector {
  private readonly pool: FtpPool;
  private readonly logger: Logger;
  private readonly where: string;
  private readonly secrets: readonly string[];

  constructor(opts: FtpConnectorOptions) {
    this.pool = new FtpPool(opts);
    this.logger = opts.logger;
    this.where = opts.where;
    this.secrets = [opts.password];
  }

  traits(): ConnectorTraits {
    return { etagTracksContent: false, mtimePrecisionMs: this.pool.server?.mlst ? MLSD_PRECISION_MS : LIST_PRECISION_MS };
  }

  async *list(folder: string, opts: ListOpts): AsyncGenerator<RemoteFile> {
    const { signal, recursive } = opts;
    signal.throwIfAborted();
    const folders = [ftpPath(folder)];
    // One folder at a time, breadth first, each read whole (FTP has no paging) and its session
    // given back before its files are yielded: a consumer that opens files meanwhile never waits on us.
    for (let i = 0; i < folders.length; i++) {
      const dir = folders[i];
      const entries = await this.pool.use(signal, (client, server) => this.readFolder(client, server, dir));
      for (const entry of entries) {
        signal.throwIfAborted();
        if (entry.kind === 'file') yield entry.file;
        else if (recursive) folders.push(entry.path);
      }
    }
  }

  async stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined> {
    opts.signal.throwIfAborted();
    const rel = ftpPath(path);
    if (rel === '') return undefined;
    return this.pool.use(opts.signal, async (client, server) => {
      try {
        if (server.mlst) return await this.statByMlst(client, server, rel);
        if (server.size && server.mdtm) return await this.statBySize(client, server, rel);
        // Neither MLST nor SIZE + MDTM: the parent's listing, which is what list() saw.
        const entries = await this.readFolder(client, server, remoteDirname(rel)).catch((err: unknown): FolderEntry[] => {
          if (isNotFound(err)) return [];
          throw err;
        });
        return entries.find((e): e is Extract<FolderEntry, { kind: 'file' }> => e.kind === 'file' && e.file.path === rel)?.file;
      } catch (err) {
        throw this.error(err, 'stat', rel);
      }
    });
  }

  async open(path: string, opts: SignalOpts): Promise<Readable> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = ftpPath(path);
    if (rel === '') throw connectorError('not_found', `reading ${this.url(rel)}: the root is a folder`, { path: rel });
    const client = await this.pool.acquire(signal);
    return download({
      client,
      remotePath: absolute(this.pool.server!, rel),
      signal,
      done: (reusable) => this.pool.release(client, reusable),
      mapError: (err) => this.error(err, 'reading', rel),
    });
  }

  async remove(path: string, opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const rel = ftpPath(path);
    if (rel === '') throw unsafePathError(path, 'is the root');
    await this.pool.use(opts.signal, async (client, server) => {
      try {
        await client.send(`DELE ${absolute(server, rel)}`);
      } catch (err) {
        throw this.error(err, 'removing', rel);
      }
    });
  }

  /** RNFR/RNTO; when RNTO fails, the target's folders are created (MKD) and it is tried again. */
  async move(from: string, to: string, opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const fromRel = ftpPath(from);
    const toRel = ftpPath(to);
    if (fromRel === '') throw unsafePathError(from, 'is the root');
    if (toRel === '') throw unsafePathError(to, 'is the root');
    await this.pool.use(opts.signal, async (client, server) => {
      const rename = async () => {
        await client.send(`RNFR ${absolute(server, fromRel)}`);
        return client.send(`RNTO ${absolute(server, toRel)}`).then(
          () => true,
          (err: unknown) => (replyCode(err) === undefined ? Promise.reject(err) : false),
        );
      };
      try {
        if (await rename()) return;
        const segments = remoteDirname(toRel).split('/').filter((s) => s !== '');
        // "Already exists" and "cannot create" look alike (550): the second rename tells.
        for (let i = 1; i <= segments.length; i++) await client.sendIgnoringError(`MKD ${absolute(server, segments.slice(0, i).join('/'))}`);
        await client.send(`RNFR ${absolute(server, fromRel)}`);
        await client.send(`RNTO ${absolute(server, toRel)}`);
      } catch (err) {
        throw this.error(err, `moving ${JSON.stringify(fromRel)} to`, toRel);
      }
    });
  }

  /** Connects and logs in (a refused login is `auth`), then lists the root. */
  async check(opts: SignalOpts): Promise<void> {
    await this.pool.use(opts.signal, async (client, server) => {
      try {
        await client.send(`CWD ${server.home}`);
        await client.list();
      } catch (err) {
        throw this.error(err, 'listing', '');
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async readFolder(client: Client, server: FtpServerInfo, dir: string): Promise<FolderEntry[]> {
    let infos: FileInfo[];
    try {
      // CWD first: vsftpd answers LIST of a missing folder with an empty listing.
      await client.send(`CWD ${absolute(server, dir)}`);
      infos = await client.list();
    } catch (err) {
      throw this.error(err, 'listing', dir);
    }
    const out: FolderEntry[] = [];
    for (const info of infos) {
      if (!isSafeName(info.name)) {
        this.logger.warn({ path: dir, name: info.name }, 'ftp: skipping an entry whose name cannot be a path');
        continue;
      }
      const path = joinRemotePath(dir, info.name);
      try {
        if (info.type === FileType.Directory) out.push({ kind: 'folder', path });
        else if (info.type === FileType.File) out.push({ kind: 'file', file: { path, size: info.size, modifiedAt: info.modifiedAt ?? (await this.modifiedAt(client, server, path, info)) } });
        else if (info.type === FileType.SymbolicLink) {
          // Links are followed to files only (never to folders: no loops); MLST/SIZE say which.
          const file = server.mlst ? await this.statByMlst(client, server, path) : await this.statBySize(client, server, path);
          if (file) out.push({ kind: 'file', file });
          else this.logger.debug({ path }, 'ftp: skipping a link to a folder or to nothing');
        }
      } catch (err) {
        throw this.error(err, 'listing', dir);
      }
    }
    return out;
  }

  private async statByMlst(client: Client, server: FtpServerInfo, rel: string): Promise<RemoteFile | undefined> {
    const res = await unlessMissing(client.send(`MLST ${absolute(server, rel)}`));
    if (res === undefined) return undefined;
    const line = res.message.split(/\r?\n/).find((l) => l.startsWith(' '));
    if (line === undefined) throw new ListingFormatError(`MLST answer without facts: ${JSON.stringify(res.message)}`);
    const info = parseMlsxLine(line.slice(1));
    if (info === undefined || info.type === FileType.Directory) return undefined;
    if (info.type !== FileType.File) return this.statBySize(client, server, rel);
    return { path: rel, size: info.size, modifiedAt: info.modifiedAt ?? (await this.modifiedAt(client, server, rel)) };
  }

  /** SIZE answers 550 for folders as for missing files, which is what stat needs. */
  private async statBySize(client: Client, server: FtpServerInfo, rel: string): Promise<RemoteFile | undefined> {
    const res = await unlessMissing(client.send(`SIZE ${absolute(server, rel)}`));
    if (res === undefined) return undefined;
    const size = /^213 (\d+)\s*$/.exec(res.message)?.[1];
    if (size === undefined) throw new ListingFormatError(`unrecognised SIZE answer ${JSON.stringify(res.message)}`);
    const modifiedAt = await unlessMissing(this.modifiedAt(client, server, rel));
    return modifiedAt && { path: rel, size: Number(size), modifiedAt };
  }

  /**
   * MDTM, for the entries whose listing lacks the time. Without MLSD it is cut to the minute, as
   * LIST shows it: a file's fingerprint must not change the day LIST stops showing its time.
   */
  private async modifiedAt(client: Client, server: FtpServerInfo, rel: string, listed?: FileInfo): Promise<Date> {
    if (!server.mdtm) {
      const day = listed && dateOnly(listed);
      if (day) return day;
      throw new ListingFormatError(`no modification time for ${JSON.stringify(rel)}: the server offers neither MLSD nor MDTM`);
    }
    const res = await client.send(`MDTM ${absolute(server, rel)}`);
    const at = parseMlsxTime(res.message.slice(4));
    return server.mlst ? at : new Date(Math.floor(at.getTime() / LIST_PRECISION_MS) * LIST_PRECISION_MS);
  }

  private url(rel: string): string {
    return `${this.where}/${rel}`;
  }

  private error(err: unknown, action: string, rel: string): unknown {
    return ftpError(err, action, this.url(rel), { path: rel, secrets: this.secrets });
  }
}

/** A remote path as FTP can send it: normalised, inside the root, and on one line. */
function ftpPath(path: string): string {
  const rel = normalizeRemotePath(path);
  if (/[\r\n]/.test(rel)) throw unsafePathError(path, 'contains a line break, which an FTP command cannot carry');
  return rel;
}

function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !/[\r\n]/.test(name) && remotePathProblem(name) === undefined;
}

function absolute(server: FtpServerInfo, rel: string): string {
  const home = server.home.replace(/\/+$/, '');
  return rel === '' ? home || '/' : `${home}/${rel}`;
}

/** The reply, or undefined when the server answered 550 (no such file, or a folder). */
async function unlessMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (replyCode(err) === 550) return undefined;
    throw err;
  }
}
