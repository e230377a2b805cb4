import type { Readable } from 'node:stream';
import { DataflowError } from '../lib/errors';
import { toBatch, unwrapBatchObject } from './batch-status';
import { listBatches } from './catalog';
import { badResponse, PlatformHttp } from './platform-http';
import type { Batch, CreateBatchRequest, UploadFileOptions } from './types';

/*
 * Batch Ingestion API (reference/aep-api.md §2): create a batch, PUT its files, then COMPLETE
 * or ABORT it. Large files (INITIALIZE / PATCH / COMPLETE per file, §2.3) will live in their own
 * file next to this one, behind the same filePath encoding.
 */

const IMPORT = '/data/foundation/import/batches';

/**
 * A file's name on the Platform side as a URL path: each segment encoded on its own so the
 * folders survive (`part=a/b c.json` → `part%3Da/b%20c.json`).
 */
export function encodeFilePath(filePath: string): string {
  const segments = filePath.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..')) {
    throw new DataflowError('ERR_PLATFORM_FILE_PATH', 'data', `not a usable file path on Platform: ${JSON.stringify(filePath)}`, {
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

export async function uploadFile(
  http: PlatformHttp,
  batchId: string,
  datasetId: string,
  filePath: string,
  body: Readable,
  opts: UploadFileOptions,
): Promise<void> {
  await http.putStream(filesPath(batchId, datasetId, filePath), body, opts.size, opts.signal);
}

/** COMPLETE, ABORT (and, for the record, FAIL, REVERT) on a whole batch (§2.4). */
export async function batchAction(http: PlatformHttp, batchId: string, action: 'COMPLETE' | 'ABORT', signal?: AbortSignal): Promise<void> {
  await http.json({ method: 'POST', path: `${IMPORT}/${encodeURIComponent(batchId)}`, query: { action }, signal });
}
