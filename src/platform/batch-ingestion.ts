import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { dataflowError, isDataflowError } from '../lib/errors';
import { toBatch, unwrapBatchObject } from './batch-status';
import { listBatches } from './catalog';
import { ChunkBuffers, chunksOf, uploadLargeFile } from './large-file-upload';
import { badResponse, PlatformHttp } from './platform-http';
import { spool, type Spooled } from './spool';
import type { Batch, CreateBatchRequest, UploadFileOptions, UploadSettings } from './types';

/*
 * Batch Ingestion API (reference/aep-api.md §2): create a batch, upload its files, then
 * COMPLETE or ABORT it. A file goes up in one PUT stating its size when it is at most 256 MB
 * (§2.2), else through the chunked large-file upload (large-file-upload.ts, §2.3).
 */

const IMPORT = '/data/foundation/import/batches';

/**
 * A file's name on the Platform side as a URL path: each segment encoded on its own so the
 * folders survive (`part=a/b c.json` → `part%3Da/b%20c.json`).
 */
export function encodeFilePath(filePath: string): string {
  const segments = filePath.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..')) {
    throw dataflowError('ERR_PLATFORM_FILE_PATH', 'data', `not a usable file path on Platform: ${JSON.stringify(filePath)}`, {
      context: { filePath },
    });
  }
  return segments.map(encodeURIComponent).join('/');
}

export function filesPath(batchId: string, datasetId: string, filePath: string): string {
  return `${IMPORT}/${encodeURIComponent(batchId)}/datasets/${encodeURIComponent(datasetId)}/files/${encodeFilePath(filePath)}`;
}

export function createBatchBody(req: CreateBatchRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    datasetId: req.datasetId,
    inputFormat: req.format === 'json' ? { format: 'json', isMultiLineJson: req.isMultiLineJson ?? false } : { format: req.format },
  };
  if (req.externalId !== undefined) body.externalId = req.externalId;
  if (req.enableErrorDiagnostics !== undefined) body.enableErrorDiagnostics = req.enableErrorDiagnostics;
  // The current docs spell it partialIngestionPercent; older copies ...Percentage (§5.1).
  if (req.partialIngestionPercent !== undefined) body.partialIngestionPercent = req.partialIngestionPercent;
  if (req.replay && req.replay.predecessors.length > 0) body.replay = { predecessors: req.replay.predecessors, reason: req.replay.reason ?? 'replace' };
  return body;
}

/**
 * POST /batches is not idempotent: when an attempt's answer is lost, a retry would make a
 * second batch. With an externalId, a retry first looks for the batch the lost answer made.
 */
export async function createBatch(http: PlatformHttp, req: CreateBatchRequest, signal?: AbortSignal): Promise<Batch> {
  return http.withRetry(signal, async (attempt) => {
    if (attempt > 1 && req.externalId !== undefined) {
      const found = await listBatches(http, { externalId: req.externalId, dataSet: req.datasetId }, signal, false);
      const earlier = found.find((b) => b.externalId === req.externalId && b.status === 'loading');
      if (earlier) return earlier;
    }
    const { status, body } = await http.jsonOnce({ method: 'POST', path: IMPORT, json: createBatchBody(req), signal });
    const obj = unwrapBatchObject(body);
    if (!obj) throw badResponse('POST', IMPORT, status, 'no batch in its body');
    return toBatch(obj);
  });
}

/**
 * One file into a batch, as Platform documents it: a size up to the threshold goes in one PUT
 * with its Content-Length, a larger one through the large-file calls with the size in every
 * Content-Range. Output of unknown size (a transformation's) that ends within one chunk is PUT
 * from memory; longer output is spooled to disk first (spool.ts) and then sent by its size.
 * `body` is destroyed whenever this throws; an error of `body` itself is rethrown unchanged.
 */
export async function uploadFile(
  http: PlatformHttp,
  settings: UploadSettings,
  batchId: string,
  datasetId: string,
  filePath: string,
  body: Readable,
  opts: UploadFileOptions,
): Promise<void> {
  const path = filesPath(batchId, datasetId, filePath);
  const { size, signal } = opts;
  if (size !== undefined && size <= settings.largeFileBytes) {
    await http.putStream(path, body, size, signal);
    return;
  }
  // Reading the source is ours here, not undici's: an abort must end the wait for its bytes too.
  const onAbort = () => body.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    const buffers = new ChunkBuffers(settings.chunkBytes, settings.chunksInFlight + 1);
    const chunks = chunksOf(body, buffers);
    if (size !== undefined) {
      await uploadLargeFile({ http, path, chunks, size, settings, buffers, signal });
      return;
    }
    const first = await chunks.next();
    const second = first.done ? first : await chunks.next();
    if (second.done) {
      const bytes = first.done ? Buffer.alloc(0) : first.value;
      // A buffer is resendable: this PUT is sent again whole after a failure, unlike a stream's.
      await putResendable(http, path, () => Readable.from([bytes]), bytes.length, signal);
      return;
    }
    const spooled = await spool(prepend([first.value, second.value], chunks), settings.spoolDir, (chunk) => buffers.give(chunk), signal);
    try {
      await uploadSpooled(http, settings, path, spooled, signal);
    } finally {
      await spooled.dispose();
    }
  } catch (err) {
    body.destroy();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A spooled file by its size; being on disk, a PUT cut off after its first byte is sent again from the start. */
async function uploadSpooled(http: PlatformHttp, settings: UploadSettings, path: string, spooled: Spooled, signal?: AbortSignal): Promise<void> {
  if (spooled.size > settings.largeFileBytes) {
    const buffers = new ChunkBuffers(settings.chunkBytes, settings.chunksInFlight + 1);
    const chunks = chunksOf(createReadStream(spooled.file), buffers);
    await uploadLargeFile({ http, path, chunks, size: spooled.size, settings, buffers, signal });
    return;
  }
  await putResendable(http, path, () => createReadStream(spooled.file), spooled.size, signal);
}

/**
 * A PUT of bytes that can be read again (a buffer, a spooled file): putStream retries what
 * failed before the body was read; what failed after is sent again whole from a fresh stream.
 */
async function putResendable(http: PlatformHttp, path: string, open: () => Readable, size: number, signal?: AbortSignal): Promise<void> {
  await http.withRetry(
    signal,
    () => http.putStream(path, open(), size, signal),
    (err) => isDataflowError(err) && (err.code === 'ERR_PLATFORM_UPLOAD_INTERRUPTED' || err.code === 'ERR_PLATFORM_TOKEN_EXPIRED'),
  );
}

async function* prepend<T>(head: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** COMPLETE, ABORT (and, for the record, FAIL, REVERT) on a whole batch (§2.4). */
export async function batchAction(http: PlatformHttp, batchId: string, action: 'COMPLETE' | 'ABORT', signal?: AbortSignal): Promise<void> {
  await http.json({ method: 'POST', path: `${IMPORT}/${encodeURIComponent(batchId)}`, query: { action }, signal });
}
