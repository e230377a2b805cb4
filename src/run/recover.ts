import type { Clock } from '../lib/clock';
import { errorMessage, isAbortError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Batch, PlatformClient } from '../platform';
import type { BatchRecord, Fence, RunRecord, Store } from '../store/types';
import { BATCH_POLLING, describeBatchErrors, fileStateAfter } from './deliver-batch';
import { BUSY_CODE, type LeaseKeeper } from './lease';
import { PARTLY_INGESTED } from './after-ingest';
import type { RunNotifier } from '../notify/run-notifier';

const INTERRUPTED = 'interrupted: the process running it stopped or lost its lease';

/** What one recovery did, for logs and tests. */
export interface RecoveryReport {
  /** Batches the ledger never recorded (the process died right after Platform created them), aborted. */
  strays: string[];
  /** Batches left `uploading`, aborted; their files go to `error` and are taken again. */
  aborted: string[];
  /** Batches left `completing`, settled from Platform's word: batch id → its final status. */
  resolved: Record<string, string>;
  /** Batches (and `run:ID` for runs whose strays were not looked for) that could not be settled now: tried again by the next holder. */
  unsettled: string[];
  runsClosed: number;
}

export interface RecoveryContext {
  store: Store;
  platform: PlatformClient;
  /** The lease of the dataflow being recovered: everything unsettled of it was left by a dead process. */
  fence: Fence;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  /** The recovering run's own record, already `running`: not a leftover. */
  except?: string;
  /** When runs left `running` are closed as interrupted: the moment their lease was taken over (default now). */
  closedAt?: Date;
  /** Tells the dataflow's webhooks about the runs closed as interrupted, as about any failed run. */
  notifier?: RunNotifier;
}

/**
 * Settles what a dead process left unfinished of one dataflow (DESIGN.md §6, crash recovery).
 * Called by whoever holds the dataflow's lease before it runs, so it never touches the work of a
 * live process: while the lease is held, nobody else works on the dataflow. Each file version is
 * ingested exactly once whatever the moment of death:
 * - batches Platform created but the ledger never recorded are found in Catalog by the
 *   externalIds their runs wrote down first (batch intents), and aborted;
 * - batches left `uploading` are aborted, and their files go to `error`, taken again later;
 * - batches left `completing` are looked up: one still `loading` never got its COMPLETE, and is
 *   completed now (every file had been uploaded); then its files are settled from the final status;
 * - files left pending outside any batch go to `error`; runs left `running` are closed as failed.
 * Each step is idempotent: dying during recovery is recovered by the next holder. Failures to
 * reach Platform are logged and left for the next holder.
 */
export async function recoverDataflow(ctx: RecoveryContext): Promise<RecoveryReport> {
  const { store, fence, logger } = ctx;
  const report: RecoveryReport = { strays: [], aborted: [], resolved: {}, unsettled: [], runsClosed: 0 };
  const interrupted = (await store.runningRuns(fence.dataflow)).filter((r) => r.id !== ctx.except);
  const unlooked = new Set<string>();
  for (const run of interrupted) {
    try {
      report.strays.push(...(await abortStrays(ctx, run)));
    } catch (err) {
      if (isAbortError(err)) throw err;
      logger.error({ runId: run.id, err: errorMessage(err) }, 'could not look for batches the run left behind; the next run looks again');
      unlooked.add(run.id);
      report.unsettled.push(`run:${run.id}`);
    }
  }
  for (const id of report.strays) logger.warn({ batchId: id }, 'aborted a batch the ledger never recorded');

  for (const batch of await store.unsettledBatches(fence.dataflow)) {
    try {
      if (batch.state === 'uploading') {
        await abandonUpload(ctx, batch);
        report.aborted.push(batch.id);
      } else {
        report.resolved[batch.id] = await resolveCompleting(ctx, batch);
      }
      logger.info({ batchId: batch.id, dataflow: batch.dataflow, was: batch.state, now: report.resolved[batch.id] ?? 'aborted' }, 'recovered batch');
    } catch (err) {
      if (isAbortError(err)) throw err;
      report.unsettled.push(batch.id);
      logger.error({ batchId: batch.id, err: errorMessage(err) }, 'could not settle batch; the next run tries again');
    }
  }
  const orphans = (await store.unsettledFiles(fence.dataflow)).filter((f) => f.batchId === null);
  if (orphans.length > 0) await store.setFileState(fence, orphans.map((f) => f.id), 'error', { error: INTERRUPTED });
  // A run whose stray batches could not be looked for stays `running`, so the next holder looks again.
  const closing = interrupted.filter((r) => !unlooked.has(r.id));
  const later = closing.length > 0 ? await store.listRuns({ dataflow: fence.dataflow, limit: LATER_RUNS_LOOKED_AT }) : [];
  for (const run of closing) {
    const notify = await ctx.notifier?.prepare(fence.dataflow, run.id, logger);
    const finishedAt = interruptedAt(run, later, ctx.closedAt ?? ctx.clock.now());
    await store.finishRun(run.id, { status: 'failed', finishedAt, error: INTERRUPTED, errorKind: 'transient', errorCode: 'ERR_RUN_INTERRUPTED' }, fence, notify);
    report.runsClosed++;
    logger.warn({ runId: run.id, dataflow: run.dataflow, ranBy: run.owner }, 'closed a run interrupted by a stop');
  }
  return report;
}

/** Runs read to find the first one after an interrupted run (skipped checks sit between them). */
const LATER_RUNS_LOOKED_AT = 500;

/**
 * When an interrupted run ended, at the latest: the moment its lease was taken over, or, when an
 * earlier holder could not close it (Platform unreachable), the start of the first run after it
 * under the lease, whichever is earlier — so that history never shows two runs of a dataflow at
 * once. Runs skipped because the dataflow was busy were recorded beside it, not after it.
 */
function interruptedAt(run: RunRecord, runs: readonly RunRecord[], closedAt: Date): Date {
  let end = closedAt.getTime();
  for (const r of runs) {
    if (r.id !== run.id && r.errorCode !== BUSY_CODE && r.startedAt.getTime() >= run.startedAt.getTime()) end = Math.min(end, r.startedAt.getTime());
  }
  return new Date(Math.max(end, run.startedAt.getTime()));
}

/**
 * At `dataflowd start`: every dataflow with unsettled work whose lease is free or dead is taken,
 * settled and let go, through the same code a run uses. Dataflows a live process holds are left
 * to it; dataflows no longer in the config are settled too (recovery needs no connection).
 */
export async function settleDeadLeases(keeper: LeaseKeeper, ctx: Omit<RecoveryContext, 'fence'>): Promise<Record<string, RecoveryReport | 'busy'>> {
  const out: Record<string, RecoveryReport | 'busy'> = {};
  for (const dataflow of await ctx.store.dataflowsToSettle()) {
    const taken = await keeper.take(dataflow);
    if ('busy' in taken) {
      ctx.logger.info({ dataflow, holder: taken.busy.processId, host: taken.busy.host, pid: taken.busy.pid }, 'unsettled work belongs to a live process; left to it');
      out[dataflow] = 'busy';
      continue;
    }
    try {
      out[dataflow] = await recoverDataflow({ ...ctx, fence: taken.held.fence, signal: AbortSignal.any([ctx.signal, taken.held.signal]) });
    } finally {
      await taken.held.release();
    }
  }
  return out;
}

/** The run's batches that Platform has and the ledger does not, aborted when not final yet. */
async function abortStrays(ctx: RecoveryContext, run: RunRecord): Promise<string[]> {
  const { store, platform, signal } = ctx;
  const recorded = new Set((await store.batchesOfRun(run.id)).map((b) => b.externalId));
  const aborted: string[] = [];
  for (const externalId of await store.batchIntents(run.id)) {
    if (recorded.has(externalId)) continue;
    for (const found of await platform.listBatches({ externalId }, signal)) {
      if (found.externalId !== externalId || found.final) continue;
      // Never completed (COMPLETE comes after the ledger records a batch), so it holds no data.
      await platform.abortBatch(found.id, signal);
      aborted.push(found.id);
    }
  }
  return aborted;
}

async function abandonUpload(ctx: RecoveryContext, batch: BatchRecord): Promise<void> {
  const { store, platform, signal, fence } = ctx;
  const current = await platform.getBatch(batch.id, signal);
  if (!current.final) await platform.abortBatch(batch.id, signal);
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'uploading' || f.state === 'pending');
  await store.updateBatch(fence, batch.id, { state: 'aborted', platformStatus: current.final ? current.status : 'aborted', error: INTERRUPTED }, [
    { ids: files.map((f) => f.id), state: 'error', patch: { error: INTERRUPTED } },
  ]);
}

async function resolveCompleting(ctx: RecoveryContext, batch: BatchRecord): Promise<string> {
  const { store, platform, signal, fence } = ctx;
  let final: Batch = await platform.getBatch(batch.id, signal);
  if (final.status === 'loading') await platform.completeBatch(batch.id, signal);
  if (!final.final) final = await platform.waitForBatch(batch.id, { signal, ...BATCH_POLLING });
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'completing' || f.state === 'uploading');
  const m = final.metrics;
  // Promoted, then out of the dataset: a successor that replaced it means the data is there.
  const successor = final.handling === 'look-up' ? await platform.findSuccessor(final, signal) : undefined;
  const state = fileStateAfter(final, successor, files.length);
  if (state === 'ingested') {
    await store.updateBatch(
      fence,
      batch.id,
      {
        state: 'succeeded',
        platformStatus: final.status,
        recordsIn: m.inputRecordCount ?? null,
        recordsOut: m.outputRecordCount ?? null,
        recordsFailed: m.failedRecordCount ?? 0,
        error: (m.failedRecordCount ?? 0) > 0 || successor ? describeBatchErrors(final, successor) : null,
      },
      // Which file's rows Platform dropped is not known here: each file of the batch is noted (after-ingest.ts).
      [{ ids: files.map((f) => f.id), state: 'ingested', patch: (m.failedRecordCount ?? 0) > 0 ? { error: `${PARTLY_INGESTED}Platform refused ${m.failedRecordCount} rows of its batch without saying of which file` } : {} }],
    );
  } else {
    const error = describeBatchErrors(final, successor);
    await store.updateBatch(
      fence,
      batch.id,
      { state: state === 'failed' || final.handling === 'rejected' ? 'failed' : 'aborted', platformStatus: final.status, recordsIn: m.inputRecordCount ?? null, recordsFailed: m.failedRecordCount ?? null, error },
      [{ ids: files.map((f) => f.id), state, patch: { error } }],
    );
  }
  return final.status;
}
