import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectorError } from '../../src/connector/errors';
import { movePaths, joinRemotePath, normalizeRemotePath, remotePathProblem, unsafePathError } from '../../src/connector/paths';
import type { ListOpts, RemoteFile, SignalOpts, SourceConnector } from '../../src/connector/types';
import type { Logger } from '../../src/lib/logger';
import { blobReadStream } from './blob-read-stream';
import { azureError, azureErrorCode, downloadError } from './errors';

export interface AzureBlobConnectorOptions {
  container: ContainerClient;
  /** Virtual folder of the container that the connection's root maps to; '' for all of it. */
  prefix?: string;
  logger: Logger;
  /** Blobs per listing request: Azure's maximum unless a test wants paging to happen. */
  pageSize?: number;
  /** Values to blank out of error messages (config.ts secret fields). */
  secrets?: readonly string[];
}

const MAX_PAGE_SIZE = 5000;
/** A copy within one account is usually done when Copy Blob answers; if it is pending, ask again. */
const COPY_POLL_MS = 500;

type Page = { segment: { blobItems: BlobItem[] } };

/**
 * A container of Azure Blob Storage (or Azurite) as a source. Folders are virtual: a folder is
 * the '/'-separated prefix of blob names, so a missing folder lists empty. Every path is
 * relative to the connection's prefix; blob names that no canonical path can address (with
 * '..', '.' or empty segments) are never listed, so a listing cannot lead outside the folder.
 */
export class AzureBlobConnector implements SourceConnector {
  private readonly container: ContainerClient;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly pageSize: number;
  private readonly secrets: readonly string[];

  constructor(opts: AzureBlobConnectorOptions) {
    this.container = opts.container;
    this.prefix = normalizeRemotePath(opts.prefix ?? '');
    this.logger = opts.logger;
    this.pageSize = opts.pageSize ?? MAX_PAGE_SIZE;
    this.secrets = opts.secrets ?? [];
  }

  async *list(folder: string, opts: ListOpts): AsyncGenerator<RemoteFile> {
    const { signal, recursive } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(folder);
    const name = this.blobName(rel);
    const listPrefix = name === '' ? '' : `${name}/`;
    let pages = 0;
    try {
      for await (const page of this.pages(listPrefix, recursive, signal)) {
        pages++;
        this.logger.debug({ folder: rel, page: pages, blobs: page.segment.blobItems.length }, 'azure-blob: listed a page');
        for (const item of page.segment.blobItems) {
          signal.throwIfAborted();
          const file = this.listed(item, listPrefix);
          if (file) yield file;
        }
      }
    } catch (err) {
      throw azureError(err, `listing ${this.where(listPrefix)}`, rel, this.secrets);
    }
  }

  async stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    if (rel === '') return undefined; // the root is a folder
    const name = this.blobName(rel);
    try {
      const props = await this.container.getBlobClient(name).getProperties({ abortSignal: opts.signal });
      if (props.metadata?.hdi_isfolder === 'true') return undefined;
      return remoteFile(rel, props.contentLength, props.lastModified, props.etag);
    } catch (err) {
      // A missing container is not a missing file: that is the connection's problem, say so.
      if (azureErrorCode(err) === 'BlobNotFound') return undefined;
      throw azureError(err, `stat ${this.where(name)}`, rel, this.secrets);
    }
  }

  async open(path: string, opts: SignalOpts): Promise<Readable> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const name = this.blobName(rel);
    if (rel === '') throw connectorError('not_found', `opening ${this.where(name)}: the root is a folder, not a blob`, { path: rel });
    const mapError = (err: unknown) => downloadError(err, signal, `reading ${this.where(name)}`, rel, this.secrets);
    try {
      // No resumption inside the SDK (maxRetryRequests 0): a broken download fails as
      // transient and the core's retry loop reads the blob again from the start.
      const response = await this.container.getBlobClient(name).download(0, undefined, { abortSignal: signal, maxRetryRequests: 0 });
      const body = response.readableStreamBody as Readable | undefined;
      if (!body) throw connectorError('transient', `reading ${this.where(name)}: the response had no body`, { path: rel });
      return blobReadStream(body, signal, mapError);
    } catch (err) {
      throw azureError(err, `opening ${this.where(name)}`, rel, this.secrets);
    }
  }

  /** Deletes the blob with its snapshots, as the portal does; soft delete, where enabled, keeps both recoverable. */
  async remove(path: string, opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    if (rel === '') throw unsafePathError(path, 'is the root');
    const name = this.blobName(rel);
    try {
      await this.container.getBlobClient(name).delete({ abortSignal: opts.signal, deleteSnapshots: 'include' });
    } catch (err) {
      throw azureError(err, `removing ${this.where(name)}`, rel, this.secrets);
    }
  }

  /**
   * Server-side copy within the account, then delete. Both steps are conditional on the etag the
   * source had when the move began, so a blob rewritten meanwhile is neither copied nor deleted.
   * An existing target is replaced. Interrupted between the steps, both blobs remain: nothing is lost.
   */
  async move(from: string, to: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const { fromRel, toRel } = movePaths(from, to);
    if (fromRel === toRel) return;
    const source = this.container.getBlobClient(this.blobName(fromRel));
    const target = this.container.getBlobClient(this.blobName(toRel));
    const action = `moving ${this.where(source.name)} to ${target.name}`;
    try {
      const { etag } = await source.getProperties({ abortSignal: signal });
      const copy = await target.beginCopyFromURL(source.url, { abortSignal: signal, sourceConditions: { ifMatch: etag } });
      while (!copy.isDone()) {
        await sleep(COPY_POLL_MS, undefined, { signal });
        await copy.poll({ abortSignal: signal });
      }
      await source.delete({ abortSignal: signal, conditions: { ifMatch: etag }, deleteSnapshots: 'include' });
    } catch (err) {
      throw azureError(err, action, fromRel, this.secrets);
    }
  }

  /** Reach + authenticate + list permission: one listing request of at most one blob. */
  async check(opts: SignalOpts): Promise<void> {
    opts.signal.throwIfAborted();
    const listPrefix = this.prefix === '' ? '' : `${this.prefix}/`;
    try {
      await this.container.listBlobsFlat({ prefix: listPrefix, abortSignal: opts.signal }).byPage({ maxPageSize: 1 }).next();
    } catch (err) {
      throw azureError(err, `checking ${this.where(listPrefix)}`, '', this.secrets);
    }
  }

  async close(): Promise<void> {
    // Nothing to release: requests share the SDK's keep-alive agent, whose idle sockets are unref'd.
  }

  /** Flat listing for recursion; by hierarchy ('/') otherwise, which returns only that level's blobs. */
  private pages(prefix: string, recursive: boolean, signal: AbortSignal): AsyncIterable<Page> {
    const options = { prefix, includeMetadata: true, abortSignal: signal };
    const settings = { maxPageSize: this.pageSize };
    return recursive ? this.container.listBlobsFlat(options).byPage(settings) : this.container.listBlobsByHierarchy('/', options).byPage(settings);
  }

  /** The listed blob as a file below the folder, or undefined for folder markers, archived
   *  blobs and names that cannot be addressed safely. */
  private listed(item: BlobItem, listPrefix: string): RemoteFile | undefined {
    // Folder markers: 'name/' placeholders (Storage Explorer) and ADLS Gen2 directories.
    if (item.name.endsWith('/') || item.metadata?.hdi_isfolder === 'true') return undefined;
    // An archived blob cannot be read until rehydrated; listed, it would abort every batch it
    // joined. Lifecycle rules archive old exports routinely, so this is no warning. Once
    // rehydrated it lists again, with its own etag.
    if (item.properties.accessTier === 'Archive') {
      this.logger.debug({ blob: item.name }, 'azure-blob: skipping a blob in the Archive tier');
      return undefined;
    }
    const path = this.pathOf(item.name);
    if (path === undefined || !item.name.startsWith(listPrefix)) {
      this.logger.warn({ blob: item.name }, "azure-blob: skipping a blob that no path inside the folder can address ('..', '.' or empty segments)");
      return undefined;
    }
    return remoteFile(path, item.properties.contentLength, item.properties.lastModified, item.properties.etag);
  }

  /** A blob name → its path below the connection's prefix, if that path names exactly this blob.
   *  The SDK resolves '..' in URLs, so 'in/../../x' would otherwise read another blob. */
  private pathOf(name: string): string | undefined {
    const head = this.prefix === '' ? '' : `${this.prefix}/`;
    if (!name.startsWith(head)) return undefined;
    const path = name.slice(head.length);
    if (path === '' || remotePathProblem(path) !== undefined) return undefined;
    return normalizeRemotePath(path) === path ? path : undefined;
  }

  private blobName(rel: string): string {
    return joinRemotePath(this.prefix, rel);
  }

  private where(name: string): string {
    return `azure-blob://${this.container.accountName}/${this.container.containerName}/${name}`;
  }
}

/** Listings give etags bare and getProperties gives them quoted: compare them bare. */
function remoteFile(path: string, size: number | undefined, modifiedAt: Date | undefined, etag: string | undefined): RemoteFile {
  return { path, size: size ?? 0, modifiedAt: modifiedAt ?? new Date(0), etag: etag?.replace(/^"|"$/g, '') };
}
