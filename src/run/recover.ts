import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { PlatformClient } from '../platform';
import type { BatchRecord, Store } from '../store/types';
import { describeBatchErrors } from './deliver-batch';

const INTERRUPTED = 'interrupted: dataflowd stopped during this run';

/**
 * Settles what a process that died left unfinished (DESIGN.md §6, crash recovery): batches left
 * `uploading` are aborted and their files taken again later; batches left `completing` are
 * resolved from their real status in Platform; runs left `running` are closed as failed.
 */
export async function recover(store: Store, platform: PlatformClient, logger: Logger, clock: Clock, signal: AbortSignal): Promise<void> {
  for (const batch of await store.unsettledBatches()) {
    try {
      if (batch.state === 'uploading') await abandonUpload(store, platform, batch, signal);
      else await resolveCompleting(store, platform, batch, signal);
      logger.info({ batchId: batch.id, dataflow: batch.dataflow, was: batch.state }, 'recovered batch');
    } catch (err) {
      logger.error({ batchId: batch.id, err: errorMessage(err) }, 'could not settle batch; will try again at next start');
    }
  }
  const orphans = (await store.unsettledFiles()).filter((f) => f.batchId === null);
  if (orphans.length > 0) await store.setFileState(orphans.map((f) => f.id), 'error', { error: INTERRUPTED });
  for (const run of await store.runningRuns()) {
    await store.finishRun(run.id, { status: 'failed', finishedAt: clock.now(), error: INTERRUPTED });
    logger.warn({ runId: run.id, dataflow: run.dataflow }, 'closed a run interrupted by a stop');
  }
}

async function abandonUpload(store: Store, platform: PlatformClient, batch: BatchRecord, signal: AbortSignal): Promise<void> {
  const current = await platform.getBatch(batch.id, signal);
  if (!current.final) await platform.abortBatch(batch.id, signal);
  await store.updateBatch(batch.id, { state: 'aborted', platformStatus: current.final ? current.status : 'aborted', error: INTERRUPTED });
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'uploading' || f.state === 'pending');
  await store.setFileState(files.map((f) => f.id), 'error', { error: INTERRUPTED });
}

async function resolveCompleting(store: Store, platform: PlatformClient, batch: BatchRecord, signal: AbortSignal): Promise<void> {
  const final = await platform.waitForBatch(batch.id, { signal });
  const files = (await store.filesOfBatch(batch.id)).filter((f) => f.state === 'completing' || f.state === 'uploading');
  const m = final.metrics;
  if (final.succeeded) {
    await store.setFileState(files.map((f) => f.id), 'ingested');
    await store.updateBatch(batch.id, {
      state: 'succeeded',
      platformStatus: final.status,
      recordsIn: m.inputRecordCount ?? null,
      recordsOut: m.outputRecordCount ?? null,
      recordsFailed: m.failedRecordCount ?? 0,
    });
  } else {
    const error = describeBatchErrors(final);
    await store.setFileState(files.map((f) => f.id), 'failed', { error });
    await store.updateBatch(batch.id, { state: 'failed', platformStatus: final.status, recordsFailed: m.failedRecordCount ?? null, error });
  }
}
