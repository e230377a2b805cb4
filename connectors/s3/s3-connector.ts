import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
  _Object,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { connectorError, isNotFound } from '../../src/connector/errors';
import { normalizeRemotePath, unsafePathError } from '../../src/connector/paths';
import type { ListOpts, RemoteFile, SignalOpts, SourceConnector } from '../../src/connector/types';
import type { Logger } from '../../src/lib/logger';
import { s3Error } from './errors';
import { KeySpace } from './keys';
import { objectStream } from './object-stream';

/** The largest object one CopyObject can copy; beyond it S3 wants a multipart copy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface S3ConnectorOptions {
  client: S3Client;
  keys: KeySpace;
  /** Keys per ListObjectsV2 request. */
  pageSize: number;
  logger: Logger;
}

/**
 * A bucket, or a prefix inside it, as a source. Folders are key prefixes: a missing folder lists
 * empty, like an empty one. Every request carries the caller's AbortSignal; the SDK makes one
 * attempt, and errors are classified for the core's retry loop (`errors.ts`).
 */
export class S3Connector implements SourceConnector {
  private readonly client: S3Client;
  private readonly keys: KeySpace;
  private readonly pageSize: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: S3ConnectorOptions) {
    this.client = opts.client;
    this.keys = opts.keys;
    this.pageSize = opts.pageSize;
    this.logger = opts.logger;
  }

  /** Page by page, as the consumer pulls: a huge bucket is never held whole. Non-recursive
   *  listings ask S3 to fold sub-folders into common prefixes, which are not files. */
  async *list(folder: string, opts: ListOpts): AsyncGenerator<RemoteFile> {
    const { signal, recursive } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(folder);
    const prefix = this.keys.folderPrefix(rel);
    const where = this.keys.url(prefix);
    let token: string | undefined;
    do {
      const page = await this.call('listing', where, rel, signal, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.keys.bucket,
            Prefix: prefix === '' ? undefined : prefix,
            Delimiter: recursive ? undefined : '/',
            MaxKeys: this.pageSize,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        ),
      );
      for (const object of page.Contents ?? []) {
        signal.throwIfAborted();
        const file = this.listedFile(object, prefix);
        if (file) yield file;
      }
      // Stopping here would pass off a partial listing as complete.
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw connectorError('transient', `listing ${where}: the server said there is more, but gave no continuation token`, { path: rel });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined> {
    opts.signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    if (rel === '') return undefined;
    try {
      return toRemoteFile(rel, await this.head(rel, 'stat', opts.signal));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async open(path: string, opts: SignalOpts): Promise<Readable> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const key = this.fileKey(path, rel);
    const where = this.keys.url(key);
    const response = await this.call('opening', where, rel, signal, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.keys.bucket, Key: key }), { abortSignal: signal }),
    );
    const body = response.Body as Readable | undefined;
    if (body === undefined) throw connectorError('transient', `opening ${where}: the response has no body`, { path: rel });
    return objectStream(body, { length: response.ContentLength, signal, fail: (err) => s3Error(err, 'reading', where, rel) });
  }

  /** DeleteObject succeeds for a key that is not there, so a HEAD first tells "not found". */
  async remove(path: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const rel = normalizeRemotePath(path);
    const key = this.fileKey(path, rel);
    await this.head(rel, 'removing', signal);
    await this.delete(key, rel, 'removing', signal);
  }

  /**
   * CopyObject, then DeleteObject of the source. The copy is conditional on the ETag the HEAD
   * just saw, so a version written in between is not deleted unseen. One CopyObject copies at
   * most 5 GiB: a bigger object is refused (`unsupported`) rather than half-supported, since the
   * multipart copy it would need (UploadPartCopy) cannot be tested against s3rver.
   */
  async move(from: string, to: string, opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const fromRel = normalizeRemotePath(from);
    const toRel = normalizeRemotePath(to);
    const fromKey = this.fileKey(from, fromRel);
    const toKey = this.fileKey(to, toRel);
    const source = await this.head(fromRel, 'moving', signal);
    if (fromKey === toKey) return;
    const target = this.keys.url(toKey);
    if ((source.ContentLength ?? 0) > MAX_COPY_BYTES) {
      throw connectorError('unsupported', `moving ${this.keys.url(fromKey)} to ${target}: objects over 5 GiB cannot be copied in one CopyObject`, { path: fromRel });
    }
    await this.call(`moving ${this.keys.url(fromKey)} to`, target, toRel, signal, () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.keys.bucket,
          Key: toKey,
          CopySource: copySource(this.keys.bucket, fromKey),
          CopySourceIfMatch: source.ETag,
        }),
        { abortSignal: signal },
      ),
    );
    await this.delete(fromKey, fromRel, `moved to ${target}, but removing`, signal);
  }

  /** One key of the root: the bucket exists, the credentials are good and may list. */
  async check(opts: SignalOpts): Promise<void> {
    const { signal } = opts;
    signal.throwIfAborted();
    const prefix = this.keys.folderPrefix('');
    await this.call('listing', this.keys.url(prefix), '', signal, () =>
      this.client.send(new ListObjectsV2Command({ Bucket: this.keys.bucket, Prefix: prefix === '' ? undefined : prefix, MaxKeys: 1 }), { abortSignal: signal }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Closes every socket of the client's agent, those of bodies still being read included: the
    // core closes a connection once its run is over.
    this.client.destroy();
  }

  private listedFile(object: _Object, prefix: string): RemoteFile | undefined {
    const key = object.Key ?? '';
    const listed = this.keys.listed(key, prefix);
    if ('skip' in listed) {
      if (listed.quiet) this.logger.debug({ key }, `s3: not a file: ${listed.skip}`);
      else this.logger.warn({ key }, `s3: skipping ${this.keys.url(key)}: the key ${listed.skip}, so it cannot be a safe path`);
      return undefined;
    }
    return {
      path: listed.path,
      size: object.Size ?? 0,
      modifiedAt: wholeSeconds(object.LastModified),
      etag: unquote(object.ETag),
    };
  }

  private head(rel: string, action: string, signal: AbortSignal): Promise<HeadObjectCommandOutput> {
    const key = this.fileKey(rel, rel);
    return this.call(action, this.keys.url(key), rel, signal, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.keys.bucket, Key: key }), { abortSignal: signal }),
    );
  }

  private async delete(key: string, rel: string, action: string, signal: AbortSignal): Promise<void> {
    await this.call(action, this.keys.url(key), rel, signal, () => this.client.send(new DeleteObjectCommand({ Bucket: this.keys.bucket, Key: key }), { abortSignal: signal }));
  }

  /** The key of a file path; the root is a folder, and no operation on files may touch it. */
  private fileKey(original: string, rel: string): string {
    if (rel === '') throw unsafePathError(original, 'is the root folder, not a file');
    return this.keys.key(rel);
  }

  /** Runs one request; an abort surfaces as the signal's own reason, anything else as ours. */
  private async call<T>(action: string, where: string, rel: string, signal: AbortSignal, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw s3Error(err, action, where, rel);
    }
  }
}

function toRemoteFile(path: string, head: HeadObjectCommandOutput): RemoteFile {
  return { path, size: head.ContentLength ?? 0, modifiedAt: wholeSeconds(head.LastModified), etag: unquote(head.ETag) };
}

/** Listings give milliseconds, HEAD's Last-Modified header whole seconds: both are cut to the
 *  second so that a listing and a stat of the same object agree. */
function wholeSeconds(date: Date | undefined): Date {
  const ms = date?.getTime() ?? 0;
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}

/** ETags come quoted ("9b2cf535f27731c974343645a3985328"); the quotes are no part of the tag. */
function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** x-amz-copy-source: bucket/key, each segment URL-encoded ('/' kept as the separator). */
function copySource(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}
