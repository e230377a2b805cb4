import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Batch, PlatformClient } from '../platform';
import type { BatchRecord, RunRecord, Store } from '../store/types';
import { batchIntents } from './batch-intents';
import { BATCH_POLLING, describeBatchErrors, fileStateAfter } from './deliver-batch';

const INTERRUPTED = 'interrupted: dataflowd stopped during this run';

/** What one recovery did, for logs and tests. */
export interface RecoveryReport {
  /** Batches the ledger never recorded (the process died right after Platform created them), aborted. */
  strays: string[];
  /** Batches left `uploading`, aborted; their files go to `error` and are taken again. */
  aborted: string[];
  /** Batches left `completing`, settled from Platform's word: batch id → its final status. */
  resolved: Record<string, string>;
  /** Batches that could not be settled now (Platform unreachable): tried again at the next start. */
  unsettled: string[];
  runsClosed: number;
}

/**
 * Settles what a process that died left unfinished (DESIGN.md §6, crash recovery), so that each
 * file version is ingested exactly once whatever the moment of death:
 * - batches Platform created but the ledger never recorded are found in Catalog by the
 *   externalIds their runs wrote down first (batch-intents.ts), and aborted;
 * - batches left `uploading` are aborted, and their files go to `error`, taken again later;
 * - batches left `completing` are looked up: one still `loading` never got its COMPLETE, and is
 *   completed now (every file had been uploaded); then its files are settled from the final status;
 * - files left `pending` outside any batch go to `error`; runs left `running` are closed as failed.
 * Each step is idempotent: dying during recovery is recovered by the next start.
 */
export async function recover(store: Store, platform: PlatformClient, logger: Logger, clock: Clock, signal: AbortSignal): Promise<RecoveryReport> {
  const report: RecoveryReport = { strays: [], aborted: [], resolved: {}, unsettled: [], runsClosed: 0 };
  const interrupted = await store.runningRuns();
  for (const run of interrupted) {
    try {
      report.strays.push(...(await abortStrays(store, platform, run, signal)));
    } catch (err) {
      logger.error({ runId: run.id, err: errorMessage(err) }, 'could not look for batches the run left behind; will try again at next start');
      report.unsettled.push(`run:${run.id}`);
    }
  }
  for (const id of report.strays) logger.warn({ batchId: id }, 'aborted a batch the ledger never recorded');

  for (const batch of await store.unsettledBatches()) {
    try {
      if (batch.state === 'uploading') {
        await abandonUpload(store, platform, batch, signal);
        report.aborted.push(batch.id);
      } else {
        report.resolved[batch.id] = await resolveCompleting(store, platform, batch, signal);
      }
      logger.info({ batchId: batch.id, dataflow: batch.dataflow, was: batch.state, now: report.resolved[batch.id] ?? 'aborted' }, 'recovered batch');
    } catch (err) {
      report.unsettled.push(batch.id);
      logger.error({ batchId: batch.id, err: errorMessage(err) }, 'could not settle batch; will try again at next start');
    }
  }
  const orphans = (await store.unsettledFiles()).filter((f) => f.batchId === null);
  if (orphans.length > 0) await store.setFileState(orphans.map((f) => f.id), 'error', { error: INTERRUPTED });
  // A run whose stray batches could not be looked for stays `running`, so the next start looks again.
  for (const run of interrupted.filter((r) => !report.unsettled.includes(`run:${r.id}`))) {
    await store.finishRun(run.id, { status: 'failed', finishedAt: clock.now(), error: INTERRUPTED, errorKind: 'transient', errorCode: 'ERR_RUN_INTERRUPTED' });
    report.runsClosed++;
    logger.warn({ runId: run.id, dataflow: run.dataflow }, 'closed a run interrupted by a stop');
  }
  return report;
}

/**
 * At the start of a run: the dataflow's batches an earlier run of it left `completing` (its wait
 * for Platform's verdict failed) are settled now, so their files do not wait for a restart. Safe
 * because runs of one dataflow never overlap. Failures are logged; the batch waits for later.
 */
export async function resolveLeftBatches(store: Store, platform: PlatformClient, dataflow: string, logger: Logger, signal: AbortSignal): Promise<void> {
  for (const batch of await store.unsettledBatches()) {
    if (batch.dataflow !== dataflow || batch.state !== 'completing') continue;
    try {
      const status = await resolveCompleting(store, platform, batch, signal);
      logger.info({ batchId: batch.id, status }, 'settled a batch an earlier run left completing');
    } catch (err) {
      if (signal.aborted) throw err;
      logger.warn({ batchId: batch.id, err: errorMessage(err) }, 'could not settle a batch an earlier run left completing; trying again next run');
    }
  }
}

/** The run's batches that Platform has and the ledger does not, aborted when not final yet. */
async function abortStrays(store: Store, platform: PlatformClient, run: RunRecord, signal: AbortSignal): Promise<string[]> {
  const recorded = new Set((await store.batchesOfRun(run.id)).map((b) => b.externalId));
  const aborted: string[] = [];
  for (const externalId of await batchIntents(store, run.id)) {
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

async function abandonUpload(store: Store, platform: PlatformClient, batch: BatchRecord, signal: AbortSignal): Promise<void> {
  const current = await platform.getBatch(batch.id, signal);
  if (!current.final) await platform.abortBatch(batch.id, signal);
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'uploading' || f.state === 'pending');
  await store.updateBatch(batch.id, { state: 'aborted', platformStatus: current.final ? current.status : 'aborted', error: INTERRUPTED }, [
    { ids: files.map((f) => f.id), state: 'error', patch: { error: INTERRUPTED } },
  ]);
}

async function resolveCompleting(store: Store, platform: PlatformClient, batch: BatchRecord, signal: AbortSignal): Promise<string> {
  let final: Batch = await platform.getBatch(batch.id, signal);
  if (final.status === 'loading') await platform.completeBatch(batch.id, signal);
  if (!final.final) final = await platform.waitForBatch(batch.id, { signal, ...BATCH_POLLING });
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'completing' || f.state === 'uploading');
  const m = final.metrics;
  // Promoted, then out of the dataset: a successor that replaced it means the data is there.
  const successor = final.handling === 'look-up' ? await platform.findSuccessor(final, signal) : undefined;
  const state = fileStateAfter(final, successor);
  if (state === 'ingested') {
    await store.updateBatch(
      batch.id,
      {
        state: 'succeeded',
        platformStatus: final.status,
        recordsIn: m.inputRecordCount ?? null,
        recordsOut: m.outputRecordCount ?? null,
        recordsFailed: m.failedRecordCount ?? 0,
        error: (m.failedRecordCount ?? 0) > 0 || successor ? describeBatchErrors(final, successor) : null,
      },
      [{ ids: files.map((f) => f.id), state: 'ingested' }],
    );
  } else {
    const error = describeBatchErrors(final, successor);
    await store.updateBatch(
      batch.id,
      { state: state === 'failed' ? 'failed' : 'aborted', platformStatus: final.status, recordsIn: m.inputRecordCount ?? null, recordsFailed: m.failedRecordCount ?? null, error },
      [{ ids: files.map((f) => f.id), state, patch: { error } }],
    );
  }
  return final.status;
}
