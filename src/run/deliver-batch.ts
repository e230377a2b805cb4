import { setMaxListeners } from 'node:events';
import type { SourceConnector } from '../connector/types';
import { isNotFound } from '../connector/errors';
import { crashPoint } from '../lib/crash-points';
import { errorCodeInfo } from '../lib/error-codes';
import { dataflowError, errorFacts, errorMessage, isDataflowError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { mapLimit } from '../lib/pool';
import { retry, RETRY_POLICIES } from '../lib/retry';
import type { Batch, PlatformClient } from '../platform';
import { batchFormat, prepareFile, type PrepStats } from '../prep/prepare';
import type { Fence, LedgerEntry, Store } from '../store/types';
import type { RunPlan } from './plan';
import { PARTLY_INGESTED } from './after-ingest';
import { failedForData, filesAtFault, splitInTwo } from './batch-fault';
import { hasRowErrors, keepPlatformRowErrors } from './platform-row-errors';
import { batchExternalId } from './run-id';
import { uploadNames } from './source-paths';
import { storedRowError } from './stored-row-error';

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
  /** The error's kind and stable code, when there is an error. */
  errorKind?: string;
  errorCode?: string;
  /**
   * Files of this batch to send again at once, each group in a new batch: the batch was aborted
   * or failed only because other files in it were at fault, or Platform gave up on it. They are
   * pending again.
   */
  redeliver?: LedgerEntry[][];
}

/**
 * A file whose own bytes cannot be sent (a truncated gzip, broken CSV or JSON, not Parquet, a
 * name Platform cannot take): final for this version, like a file Platform refused. Sending it
 * again unchanged would fail the same way, every run.
 */
export function isContentRejection(err: unknown): boolean {
  return isDataflowError(err) && errorCodeInfo(err.code)?.contentRejection === true;
}

export interface DeliverContext {
  plan: RunPlan;
  runId: string;
  /** The run's lease: every ledger write of the batch carries it. */
  fence: Fence;
  store: Store;
  platform: PlatformClient;
  connector: SourceConnector;
  logger: Logger;
  signal: AbortSignal;
  /**
   * Ctrl-C: no new batch and no more uploads (a batch being filled is aborted), but a batch
   * already completed is followed to Platform's answer. `signal` stops everything.
   */
  cancel?: AbortSignal;
  onBytes?: (n: number) => void;
}

interface Uploaded {
  entry: LedgerEntry;
  records: number;
  bytes: number;
  /** False for a file without records, which is not sent (Platform refuses empty files). */
  sent: boolean;
  /** Rows refused before upload, counted in `records` too. */
  refused: number;
}

/**
 * One batch, DESIGN.md §6 steps 4–5: create it, stream every file in, complete it, follow it to
 * a final status, and settle its files in the ledger. Each step (uploading, completing, settled)
 * is one transaction for the batch and its files, written before the Platform call that depends
 * on it, so recovery after a crash knows what to settle (recover.ts). The externalId is written
 * down even before the batch exists, for the moment between Platform creating it and the ledger
 * recording it.
 */
export async function deliverBatch(ctx: DeliverContext, files: readonly LedgerEntry[], seq: number, replaces: readonly string[] = []): Promise<BatchOutcome> {
  const { plan, store, platform, signal, fence } = ctx;
  // Until COMPLETE is sent, a cancel stops the batch; after it, only `signal` does.
  const filling = ctx.cancel ? AbortSignal.any([signal, ctx.cancel]) : signal;
  // Like the run's signal, this one is heard by every file of the batch in flight, at several steps.
  if (filling !== signal) setMaxListeners(100, filling);
  const externalId = batchExternalId(plan.dataflow, ctx.runId, seq);
  await store.addBatchIntent(fence, ctx.runId, externalId);
  const created = await platform.createBatch(
    {
      datasetId: plan.datasetId,
      format: batchFormat(plan),
      externalId,
      enableErrorDiagnostics: plan.errorDiagnostics,
      partialIngestionPercent: plan.maxErrorPercent,
      // changedFiles: replace (replay-plan.ts): once this batch succeeds, the old versions' batches leave the dataset.
      replay: replaces.length > 0 ? { predecessors: [...replaces], reason: 'replace' } : undefined,
    },
    filling,
  );
  const batchId = created.id;
  const log = ctx.logger.child({ batchId });
  crashPoint('batch-created');
  try {
    await store.createBatch(fence, { id: batchId, runId: ctx.runId, dataset: plan.datasetId, externalId }, [
      { ids: files.map((f) => f.id), state: 'uploading', patch: { batchId } },
    ]);
  } catch (err) {
    // Unrecorded, the batch would wait for recovery to find it by its externalId: abort it now.
    await abortQuietly(platform, batchId, log);
    throw err;
  }
  log.info({ files: files.length, dataset: plan.datasetId, ...(replaces.length > 0 ? { replaces } : {}) }, 'batch created');

  const names = uploadNames(plan.folder, files.map((f) => f.path), batchFormat(plan));
  const results = await mapLimit(files, plan.fileConcurrency, (entry) => uploadFile({ ...ctx, signal: filling }, batchId, entry, names.get(entry.path) as string));
  const uploaded: Uploaded[] = [];
  const vanished: LedgerEntry[] = [];
  const rejected: Array<{ entry: LedgerEntry; reason: string; cause: unknown }> = [];
  let failure: unknown;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      if (r.value) uploaded.push(r.value);
      else vanished.push(files[i]);
    } else if (isContentRejection(r.reason)) {
      rejected.push({ entry: files[i], reason: errorMessage(r.reason), cause: r.reason });
    } else {
      failure ??= r.reason;
    }
  });
  if (vanished.length > 0) {
    await store.setFileState(fence, vanished.map((f) => f.id), 'vanished', { batchId: null });
    log.warn({ paths: vanished.map((f) => f.path) }, 'files vanished before they could be read');
  }
  const base = { batchId, filesVanished: vanished.length, bytes: sum(uploaded, (u) => u.bytes), recordsIn: sum(uploaded, (u) => u.records) };

  if (failure !== undefined || rejected.length > 0 || uploaded.length === 0) {
    // A file cannot be taken back out of a Platform batch: abort it whole. Rejected files are
    // final for their version; the others go again, in a new batch of this run when only
    // rejections spoiled this one, else in a later run.
    const reason = failure !== undefined ? errorMessage(failure) : rejected.length > 0 ? rejected[0].reason : 'every file vanished';
    const settledApart = new Set([...vanished, ...rejected.map((r) => r.entry)]);
    const others = files.filter((f) => !settledApart.has(f));
    const redeliver = failure === undefined && others.length > 0;
    const settled = [
      ...rejected.map((r) => ({ ids: [r.entry.id], state: 'failed' as const, patch: { error: r.reason } })),
      redeliver ? { ids: others.map((f) => f.id), state: 'pending' as const, patch: { batchId: null } } : { ids: others.map((f) => f.id), state: 'error' as const, patch: { error: reason } },
    ];
    if (await abortQuietly(platform, batchId, log)) await store.updateBatch(fence, batchId, { state: 'aborted', error: reason }, settled);
    else for (const s of settled) await store.setFileState(fence, s.ids, s.state, s.patch);
    for (const r of rejected) log.error({ path: r.entry.path, error: r.reason }, 'file rejected: not sent again until it changes');
    if (failure !== undefined) log.error({ err: failure }, 'batch aborted: a file could not be delivered');
    const cause = failure ?? rejected[0]?.cause;
    const facts = cause === undefined ? {} : { ...errorFacts(cause), error: reason };
    return { ...base, status: 'aborted', filesIngested: 0, filesFailed: files.length - vanished.length - (redeliver ? others.length : 0), recordsOut: 0, recordsFailed: 0, ...facts, redeliver: redeliver ? [others] : undefined };
  }

  if (!uploaded.some((u) => u.sent)) {
    // Every file was empty: an empty batch would fail in Platform (error 133). There is nothing
    // to ingest, so the batch is aborted and the files are settled with no records.
    const done = { ids: uploaded.map((u) => u.entry.id), state: 'ingested' as const, patch: { records: 0 } };
    if (await abortQuietly(platform, batchId, log)) await store.updateBatch(fence, batchId, { state: 'aborted', error: 'no records in any file' }, [done]);
    else await store.setFileState(fence, done.ids, done.state, done.patch);
    log.info({ files: uploaded.length }, 'no records in any file: nothing sent');
    return { ...base, status: 'succeeded', filesIngested: uploaded.length, filesFailed: 0, recordsOut: 0, recordsFailed: 0 };
  }

  // Completing is written before COMPLETE is sent: a batch Platform may have accepted is never
  // aborted by recovery, only looked up (and completed again if it is still loading).
  if (plan.afterIngest !== 'keep') await store.oweAfterIngest(fence, batchId);
  await store.updateBatch(fence, batchId, { state: 'completing' }, [{ ids: uploaded.map((u) => u.entry.id), state: 'completing' }]);
  crashPoint('before-complete');
  await platform.completeBatch(batchId, signal);
  crashPoint('after-complete');
  const final = await platform.waitForBatch(batchId, { signal, ...BATCH_POLLING });
  crashPoint('before-ledger-update');
  return settle(ctx, final, uploaded, base);
}

/** The note afterIngest reads (after-ingest.ts): the file's own refused rows, else the batch's that no file explains. */
function partlyNote(u: Uploaded, unexplained: number): { error?: string } {
  if (u.refused > 0) return { error: `${PARTLY_INGESTED}${u.refused} of its ${u.records} rows refused` };
  if (unexplained > 0) return { error: `${PARTLY_INGESTED}Platform refused ${unexplained} rows of its batch without saying of which file` };
  return {};
}

/** Polls grow from 250 ms to 5 s: quick for small batches, about 12 calls a minute for long ones. */
export const BATCH_POLLING = { pollMs: 250, maxPollMs: 5_000 };

async function uploadFile(ctx: DeliverContext, batchId: string, entry: LedgerEntry, name: string): Promise<Uploaded | undefined> {
  const { plan, connector, platform, signal } = ctx;
  try {
    const uploaded = await retry(
      async () => {
        const source = await connector.open(entry.path, { signal });
        const prepared = await prepareFile(source, entry, plan, { onBytes: ctx.onBytes });
        // Platform refuses an empty file (and would fail the batch with it): a file without records is not sent.
        if (!prepared.empty) await platform.uploadFile(batchId, plan.datasetId, name, prepared.body, { size: prepared.size, signal });
        const stats = prepared.stats();
        if (stats.bytesRead !== entry.size) {
          throw dataflowError('ERR_FILE_CHANGED', 'transient', `${entry.path} changed while it was read: listed ${entry.size} bytes, read ${stats.bytesRead}`);
        }
        ctx.logger.debug({ path: entry.path, records: stats.records, rejected: stats.failed, bytes: stats.bytesRead, sent: !prepared.empty, workers: stats.workers }, 'file uploaded');
        return { entry, records: stats.records, bytes: stats.bytesRead, sent: !prepared.empty, refused: stats.failed, stats };
      },
      { ...RETRY_POLICIES.fileUpload, signal, onRetry: (err, attempt) => ctx.logger.warn({ path: entry.path, attempt, err: errorMessage(err) }, 'upload failed, retrying') },
    );
    await recordPrepOutcome(ctx, batchId, entry, uploaded.stats);
    return { entry: uploaded.entry, records: uploaded.records, bytes: uploaded.bytes, sent: uploaded.sent, refused: uploaded.refused };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Columns the mapping could not place are said, never dropped silently; rejected rows are kept with errorDiagnostics. */
async function recordPrepOutcome(ctx: DeliverContext, batchId: string, entry: LedgerEntry, stats: PrepStats): Promise<void> {
  const m = stats.mapping;
  if (m && (m.unmapped.length > 0 || m.ambiguous.length > 0 || m.missing.length > 0)) {
    ctx.logger.warn({ path: entry.path, unmapped: m.unmapped, ambiguous: m.ambiguous, missing: m.missing }, 'columns not mapped');
  }
  if (stats.failed > 0) ctx.logger.warn({ path: entry.path, rejected: stats.failed, first: stats.rowErrors[0]?.message }, 'rows rejected before upload');
  if (ctx.plan.errorDiagnostics && stats.rowErrors.length > 0) {
    await ctx.store.addRowErrors(ctx.fence, stats.rowErrors.map((e) => storedRowError(e, { runId: ctx.runId, batchId, fileId: entry.id })));
  }
}

/** How many times files go again in a new batch after Platform gave up on theirs (stalled, abandoned). */
export const MAX_RESENDS = 2;
const RESENT = 'resent after batch ';

async function settle(ctx: DeliverContext, batch: Batch, uploaded: Uploaded[], base: SettleBase): Promise<BatchOutcome> {
  const { store } = ctx;
  const m = batch.metrics;
  const recordsFailed = m.failedRecordCount ?? 0;
  const log = ctx.logger.child({ batchId: batch.id });
  // Promoted, then out of the dataset: a successor that replaced it means the data is there.
  const successor = batch.handling === 'look-up' ? await ctx.platform.findSuccessor(batch, ctx.signal) : undefined;
  const ingested = fileStateAfter(batch, successor) === 'ingested';
  const recordsOut = m.outputRecordCount ?? (ingested ? base.recordsIn - recordsFailed : 0);
  if (ctx.plan.errorDiagnostics && hasRowErrors(batch)) {
    const fileIds = new Map(uploaded.map((u) => [u.entry.path, u.entry.id]));
    await keepPlatformRowErrors(store, ctx.platform, batch, { runId: ctx.runId, fence: ctx.fence, fileIds }, log, ctx.signal);
  }
  if (ingested) {
    // Rows Platform dropped within the partial-ingestion threshold are worth a word on the batch.
    const note = recordsFailed > 0 || successor ? describeBatchErrors(batch, successor) : undefined;
    // Rows Platform dropped beyond those refused before upload cannot be put down to a file: each file of the batch is noted.
    const unexplained = recordsFailed - sum(uploaded, (u) => u.refused);
    // Files with the same patch settle in one statement (idsBy): the patch is the group's key.
    const patches = idsBy(uploaded, (u) => JSON.stringify({ records: u.records, ...partlyNote(u, unexplained) }));
    const done = [...patches].map(([patch, ids]) => ({ ids, state: 'ingested' as const, patch: JSON.parse(patch) as { records: number; error?: string } }));
    await store.updateBatch(
      ctx.fence,
      batch.id,
      { state: 'succeeded', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut, recordsFailed, error: note },
      done,
    );
    log.info({ status: batch.status, successor: successor?.id, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut, recordsFailed }, 'batch ingested');
    return { ...base, status: 'succeeded', filesIngested: uploaded.length, filesFailed: 0, recordsOut, recordsFailed };
  }
  const error = describeBatchErrors(batch, successor);
  const errorCode = batch.errors[0]?.code ?? `BATCH_${batch.status.toUpperCase()}`;
  const forData = batch.handling === 'rejected' && failedForData(batch);
  if (forData && uploaded.length > 1) return isolate(ctx, batch, uploaded, base, error, errorCode);
  if (batch.handling === 'resend' || (batch.handling === 'rejected' && !forData)) {
    // Platform gave up without judging the data: the files go again at once, in a new batch of
    // this run, unless they already did MAX_RESENDS times; then a later run takes them.
    const trail = (e: LedgerEntry) => `${RESENT}${batch.id} ${batch.status}${e.error?.startsWith(RESENT) ? `; ${e.error}` : ''}`;
    const again = uploaded.every((u) => (u.entry.error?.split(RESENT).length ?? 1) - 1 < MAX_RESENDS);
    const files = again
      ? [...idsBy(uploaded, (u) => trail(u.entry))].map(([why, ids]) => ({ ids, state: 'pending' as const, patch: { batchId: null, error: why } }))
      : [{ ids: uploaded.map((u) => u.entry.id), state: 'error' as const, patch: { error } }];
    await store.updateBatch(ctx.fence, batch.id, { state: 'aborted', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut: 0, recordsFailed, error }, files);
    log.warn({ status: batch.status, again }, again ? 'Platform gave up on the batch: its files go again in a new batch' : 'Platform gave up on the batch again: its files wait for a later run');
    if (!again) return { ...base, status: 'failed', filesIngested: 0, filesFailed: uploaded.length, recordsOut: 0, recordsFailed, error, errorKind: 'platform', errorCode };
    // The files' records and bytes count once, with the batch that takes them; the run's verdict
    // is that batch's too (an aborted outcome without error counts for nothing, run-dataflow.ts).
    const redeliver = [uploaded.map((u) => ({ ...u.entry, state: 'pending' as const, batchId: null, error: trail(u.entry) }))];
    return { ...base, status: 'aborted', filesIngested: 0, filesFailed: 0, recordsIn: 0, bytes: 0, recordsOut: 0, recordsFailed: 0, redeliver };
  }
  const state = fileStateAfter(batch, successor);
  await store.updateBatch(
    ctx.fence,
    batch.id,
    { state: state === 'failed' ? 'failed' : 'aborted', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut: 0, recordsFailed, error },
    [{ ids: uploaded.map((u) => u.entry.id), state, patch: { error } }],
  );
  log.error({ status: batch.status, error }, 'batch failed in Platform');
  return { ...base, status: 'failed', filesIngested: 0, filesFailed: uploaded.length, recordsOut: 0, recordsFailed, error, errorKind: 'platform', errorCode };
}

/**
 * A batch of several files Platform refused for their data (batch-fault.ts): the files at fault
 * are rejected, final for their version; the others are pending again and go at once in a new
 * batch of this run — or, when no file's own checks explain the failure, in two, each half
 * sent again until a one-file batch names the file at fault. Both are written with the batch's
 * final state, in one transaction, before any new batch is created.
 */
async function isolate(ctx: DeliverContext, batch: Batch, uploaded: Uploaded[], base: SettleBase, error: string, errorCode: string): Promise<BatchOutcome> {
  const sent = uploaded.filter((u) => u.sent);
  const named = sent.length === 1 ? sent : filesAtFault(sent.map((u) => ({ file: u, records: u.records, refused: u.refused })), ctx.plan.maxErrorPercent);
  const others = uploaded.filter((u) => !named.includes(u));
  const groups = named.length > 0 ? [others].filter((g) => g.length > 0) : splitInTwo(others);
  const m = batch.metrics;
  const why = named.length > 0 ? error : `${error}; no file's own checks explain it: its files go again in ${groups.length} batches to find which`;
  await ctx.store.updateBatch(ctx.fence, batch.id, { state: 'failed', platformStatus: batch.status, recordsIn: m.inputRecordCount ?? base.recordsIn, recordsOut: 0, recordsFailed: m.failedRecordCount ?? 0, error: why }, [
    ...named.map((u) => ({ ids: [u.entry.id], state: 'failed' as const, patch: { error } })),
    { ids: others.map((u) => u.entry.id), state: 'pending' as const, patch: { batchId: null } },
  ]);
  const log = ctx.logger.child({ batchId: batch.id });
  for (const u of named) log.error({ path: u.entry.path, refused: u.refused, error }, 'file rejected: its data failed the batch; not sent again until it changes');
  if (others.length > 0) log.warn({ files: others.length, batches: groups.length }, 'files not at fault go again in a new batch');
  const redeliver = groups.map((g) => g.map((u) => ({ ...u.entry, state: 'pending' as const, batchId: null })));
  if (named.length === 0) return { ...base, status: 'aborted', filesIngested: 0, filesFailed: 0, recordsIn: 0, bytes: 0, recordsOut: 0, recordsFailed: 0, redeliver };
  return {
    ...base,
    status: 'failed',
    filesIngested: 0,
    filesFailed: named.length,
    recordsIn: sum(named, (u) => u.records),
    bytes: sum(named, (u) => u.bytes),
    recordsOut: 0,
    recordsFailed: sum(named, (u) => u.records),
    error,
    errorKind: 'data',
    errorCode,
    redeliver,
  };
}

type SettleBase = Omit<BatchOutcome, 'status' | 'filesIngested' | 'filesFailed' | 'recordsOut' | 'recordsFailed' | 'error'>;

/**
 * What a final batch makes of its files (batch-status.ts says how each status is handled):
 * ingested when the data reached the dataset, or when the batch was made inactive by a successor
 * that holds it; failed when Platform judged the data of a one-file batch and refused it, or when
 * a promoted batch was reverted or expired with no successor (final for that version: sending it
 * again would undo whoever took it out); error — taken again by a later run — when the batch
 * ended without any judgement of its data (aborted, stalled, abandoned, Platform's own failure),
 * or was refused for the data of one of several files not known here (batch-fault.ts: the next
 * run finds which).
 */
export function fileStateAfter(batch: Batch, successor?: Batch, files = 1): 'ingested' | 'failed' | 'error' {
  switch (batch.handling) {
    case 'ingested':
      return 'ingested';
    case 'look-up':
      return successor?.succeeded ? 'ingested' : 'failed';
    case 'rejected':
      return failedForData(batch) && files <= 1 ? 'failed' : 'error';
    default:
      return 'error';
  }
}

export function describeBatchErrors(batch: Batch, successor?: Batch): string {
  const errors = batch.errors
    .slice(0, 3)
    .map((e) => [e.code, e.description].filter(Boolean).join(': '))
    .join('; ');
  const why: Partial<Record<Batch['handling'], string>> = {
    resend: `batch ${batch.id} ${batch.status}: Platform gave up on it without judging its data`,
    'look-up': successor
      ? `batch ${batch.id} is ${batch.status}: replaced by batch ${successor.id} (${successor.status})`
      : `batch ${batch.id} is ${batch.status}: promoted, then reverted or expired, and no batch replaces it`,
  };
  const status = why[batch.handling] ?? (errors === '' ? `batch ${batch.id} ended ${batch.status}` : undefined);
  return [status, errors].filter((x) => x !== undefined && x !== '').join('; ');
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

/** Files that take the same patch, in one move: a batch of 1,500 settles in a few statements, not one per file. */
function idsBy<K>(uploaded: readonly Uploaded[], key: (u: Uploaded) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  for (const u of uploaded) {
    const k = key(u);
    const ids = groups.get(k);
    if (ids) ids.push(u.entry.id);
    else groups.set(k, [u.entry.id]);
  }
  return groups;
}

function sum<T>(items: T[], f: (t: T) => number): number {
  return items.reduce((acc, t) => acc + f(t), 0);
}
