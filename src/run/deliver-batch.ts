import type { SourceConnector } from '../connector/types';
import { isNotFound } from '../connector/errors';
import { dataflowError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { mapLimit } from '../lib/pool';
import { retry } from '../lib/retry';
import type { Batch, PlatformClient } from '../platform';
import { batchFormat, prepareFile } from '../prep/prepare';
import type { LedgerEntry, Store } from '../store/types';
import type { RunPlan } from './plan';
import { batchExternalId } from './run-id';

export interface BatchOutcome {
  batchId: string;
  status: 'succeeded' | 'failed' | 'aborted';
  filesIngested: number;
  filesFailed: number;
  filesVanished: number;
  recordsIn: number;
  recordsOut: number;
  recordsFailed: number;
  bytes: number;
  error?: string;
}

export interface DeliverContext {
  plan: RunPlan;
  runId: string;
  store: Store;
  platform: PlatformClient;
  connector: SourceConnector;
  logger: Logger;
  signal: AbortSignal;
  onBytes?: (n: number) => void;
}

interface Uploaded {
  entry: LedgerEntry;
  records: number;
  bytes: number;
}

/**
 * One batch, DESIGN.md §6 steps 4–5: create it, stream every file in, complete it, follow it to
 * a final status, and settle its files in the ledger. Every state change is written before the
 * Platform call that depends on it, so recovery after a crash knows what to settle.
 */
export async function deliverBatch(ctx: DeliverContext, files: readonly LedgerEntry[], seq: number): Promise<BatchOutcome> {
  const { plan, store, platform, signal } = ctx;
  const externalId = batchExternalId(plan.dataflow, ctx.runId, seq);
  const created = await platform.createBatch(
    {
      datasetId: plan.datasetId,
      format: batchFormat(plan),
      externalId,
      enableErrorDiagnostics: plan.errorDiagnostics,
      partialIngestionPercent: plan.maxErrorPercent,
    },
    signal,
  );
  const batchId = created.id;
  const log = ctx.logger.child({ batchId });
  await store.createBatch({ id: batchId, runId: ctx.runId, dataflow: plan.dataflow, dataset: plan.datasetId, externalId });
  await store.setFileState(files.map((f) => f.id), 'uploading', { batchId });
  log.info({ files: files.length, dataset: plan.datasetId }, 'batch created');

  const results = await mapLimit(files, plan.fileConcurrency, (entry) => uploadFile(ctx, batchId, entry));
  const uploaded: Uploaded[] = [];
  const vanished: LedgerEntry[] = [];
  let failure: unknown;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      if (r.value) uploaded.push(r.value);
      else vanished.push(files[i]);
    } else {
      failure ??= r.reason;
    }
  });
  if (vanished.length > 0) {
    await store.setFileState(vanished.map((f) => f.id), 'vanished', { batchId: null });
    log.warn({ paths: vanished.map((f) => f.path) }, 'files vanished before they could be read');
  }
  const base = { batchId, filesVanished: vanished.length, bytes: sum(uploaded, (u) => u.bytes), recordsIn: sum(uploaded, (u) => u.records) };

  if (failure !== undefined || uploaded.length === 0) {
    // A file cannot be taken back out of a Platform batch: abort it whole and let a later run
    // take every file again.
    const reason = failure === undefined ? 'every file vanished' : errorMessage(failure);
    await store.setFileState(files.filter((f) => !vanished.includes(f)).map((f) => f.id), 'error', { error: reason });
    if (await abortQuietly(platform, batchId, log)) await store.updateBatch(batchId, { state: 'aborted', error: reason });
    if (failure !== undefined) log.error({ err: failure }, 'batch aborted: a file could not be delivered');
    return { ...base, status: 'aborted', filesIngested: 0, filesFailed: files.length - vanished.length, recordsOut: 0, recordsFailed: 0, error: failure === undefined ? undefined : reason };
  }

  await store.updateBatch(batchId, { state: 'completing' });
  await store.setFileState(uploaded.map((u) => u.entry.id), 'completing');
  await platform.completeBatch(batchId, signal);
  // Polls grow from 250 ms to 5 s: quick for small batches, about 12 calls a minute for long ones.
  const final = await platform.waitForBatch(batchId, { signal, pollMs: 250, maxPollMs: 5_000 });
  return settle(ctx, final, uploaded, base);
}

async function uploadFile(ctx: DeliverContext, batchId: string, entry: LedgerEntry): Promise<Uploaded | undefined> {
  const { plan, connector, platform, signal } = ctx;
  const name = remoteName(plan.folder, entry.path);
  try {
    return await retry(
      async () => {
        const source = await connector.open(entry.path, { signal });
        if (ctx.onBytes) source.on('data', (chunk: Buffer) => ctx.onBytes?.(chunk.length));
        const prepared = prepareFile(source, entry, plan);
        await platform.uploadFile(batchId, plan.datasetId, name, prepared.body, { size: prepared.size, signal });
        const stats = prepared.stats();
        if (stats.bytesRead !== entry.size) {
          throw dataflowError('ERR_FILE_CHANGED', 'transient', `${entry.path} changed while it was read: listed ${entry.size} bytes, read ${stats.bytesRead}`);
        }
        ctx.logger.debug({ path: entry.path, records: stats.records, bytes: stats.bytesRead }, 'file uploaded');
        return { entry, records: stats.records, bytes: stats.bytesRead };
      },
      { signal, attempts: 3, onRetry: (err, attempt) => ctx.logger.warn({ path: entry.path, attempt, err: errorMessage(err) }, 'upload failed, retrying') },
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function settle(ctx: DeliverContext, batch: Batch, uploaded: Uploaded[], base: Omit<BatchOutcome, 'status' | 'filesIngested' | 'filesFailed' | 'recordsOut' | 'recordsFailed' | 'error'>): Promise<BatchOutcome> {
  const { store } = ctx;
  const m = batch.metrics;
  const recordsFailed = m.failedRecordCount ?? 0;
  const recordsOut = m.outputRecordCount ?? (batch.succeeded ? base.recordsIn - recordsFailed : 0);
  const log = ctx.logger.child({ batchId: batch.id });
  if (batch.succeeded) {
    for (const u of uploaded) await store.setFileState([u.entry.id], 'ingested', { records: u.records });
    await store.updateBatch(batch.id, { state: 'succeeded', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut, recordsFailed });
    log.info({ status: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut, recordsFailed }, 'batch ingested');
    return { ...base, status: 'succeeded', filesIngested: uploaded.length, filesFailed: 0, recordsOut, recordsFailed };
  }
  const error = describeBatchErrors(batch);
  await store.setFileState(uploaded.map((u) => u.entry.id), 'failed', { error });
  await store.updateBatch(batch.id, { state: 'failed', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut: 0, recordsFailed, error });
  log.error({ status: batch.status, error }, 'batch failed in Platform');
  return { ...base, status: 'failed', filesIngested: 0, filesFailed: uploaded.length, recordsOut: 0, recordsFailed, error };
}

export function describeBatchErrors(batch: Batch): string {
  if (batch.errors.length === 0) return `batch ${batch.id} ended ${batch.status}`;
  return batch.errors
    .slice(0, 3)
    .map((e) => [e.code, e.description].filter(Boolean).join(': '))
    .join('; ');
}

/** The file's name inside the batch: its path below the dataflow's folder. */
export function remoteName(folder: string, path: string): string {
  const prefix = folder === '' ? '' : `${folder.replace(/\/+$/, '')}/`;
  return prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** False when Platform could not be told: the batch stays `uploading` and recovery aborts it. */
async function abortQuietly(platform: PlatformClient, batchId: string, log: Logger): Promise<boolean> {
  try {
    await platform.abortBatch(batchId);
    return true;
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'could not abort batch; recovery will retry');
    return false;
  }
}

function sum<T>(items: T[], f: (t: T) => number): number {
  return items.reduce((acc, t) => acc + f(t), 0);
}
