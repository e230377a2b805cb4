import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { BatchRecord } from './batch-model';
import { decideOutcome, dropsBadRows, newTally, type Outcome } from './batch-outcome';
import type { BatchStore } from './batch-store';
import { ingestFile } from './file-ingest';
import { FILE_ERROR_CODES } from './ingest-codes';
import type { RecordValidators } from './record-validator';
import { RowErrorLog } from './row-error-log';

export interface BatchProcessorDeps {
  store: BatchStore;
  validators: RecordValidators;
  clock: Clock;
  logger: Logger;
  /** Time a batch stays 'processing' before its files are read. */
  delayMs: number;
  /** Fields a record may have (platform-limits.ts). */
  maxFieldsPerRecord: number;
  /** Fault injection: asked once per batch whether to fail it whatever its records. */
  faults?: { failBatch(): boolean };
}

/**
 * Takes completed batches from 'processing' to 'success' or 'failed', asynchronously, like
 * Platform's promotion: COMPLETE answers at once and clients poll Catalog. Each batch can be
 * cancelled (ABORT) and close() stops them all, so no work outlives the emulator.
 */
export class BatchProcessor {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private closed = false;

  constructor(private readonly deps: BatchProcessorDeps) {}

  /** Once closed, a batch stays 'processing' on disk and is taken up by the next start. */
  schedule(batch: BatchRecord): void {
    if (this.closed || this.running.has(batch.id)) return;
    const controller = new AbortController();
    const done = this.run(batch, controller.signal).finally(() => this.running.delete(batch.id));
    this.running.set(batch.id, { controller, done });
  }

  cancel(batchId: string): void {
    this.running.get(batchId)?.controller.abort(new Error(`batch ${batchId} was aborted`));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.running.values()];
    for (const job of all) job.controller.abort(new Error('the emulator is closing'));
    await Promise.allSettled(all.map((job) => job.done));
  }

  private async run(batch: BatchRecord, signal: AbortSignal): Promise<void> {
    const { clock, logger, store } = this.deps;
    const log = logger.child({ batchId: batch.id });
    try {
      await clock.sleep(this.deps.delayMs, signal);
      batch.started = clock.now().getTime();
      const outcome = await this.process(batch, signal);
      // An ABORT or FAIL that arrived meanwhile has the last word.
      if (signal.aborted || batch.status !== 'processing') return;
      this.finish(batch, outcome);
      if (batch.status === 'success') await this.replace(batch);
      log.debug({ status: batch.status, metrics: batch.metrics }, 'batch processed');
    } catch (err) {
      if (isAbortError(err) || signal.aborted) return;
      log.error({ err }, 'batch processing failed');
      if (batch.status !== 'processing') return;
      this.finish(batch, { status: 'failed', errors: [{ ...FILE_ERROR_CODES.internal, description: `${FILE_ERROR_CODES.internal.description} ${(err as Error).message}` }] });
    }
    await store.save(batch);
  }

  private async process(batch: BatchRecord, signal: AbortSignal): Promise<Outcome> {
    const { store, validators } = this.deps;
    const tally = newTally();
    const policy = { enableErrorDiagnostics: batch.enableErrorDiagnostics, partialIngestionPercent: batch.partialIngestionPercent };
    if (batch.files.length === 0) tally.fileErrors.push({ ...FILE_ERROR_CODES.noFiles });

    // A batch processed again after a restart starts from clean diagnostics and landed copies.
    await rm(store.landedDir(batch.id), { recursive: true, force: true });
    await rm(store.metaDir(batch.id), { recursive: true, force: true });
    const rowErrors = batch.enableErrorDiagnostics ? new RowErrorLog(path.join(store.metaDir(batch.id), 'row_errors')) : undefined;
    const check = validators.forDataset(batch.datasetId);
    try {
      for (const [index, file] of batch.files.entries()) {
        signal.throwIfAborted();
        const result = await ingestFile({
          file,
          inputFormat: batch.inputFormat,
          uploadedPath: store.uploadedFile(batch.id, file.path),
          landedPath: store.landedFile(batch.id, file.path),
          check,
          tally,
          dropsBadRows: dropsBadRows(policy),
          rowErrors,
          signal,
          maxFields: this.deps.maxFieldsPerRecord,
        });
        batch.files[index] = { ...file, landed: { records: result.records - result.failed, filtered: result.filtered } };
      }
    } finally {
      await rowErrors?.close();
    }
    let outcome = decideOutcome(tally, policy);
    if (outcome.status === 'success' && this.deps.faults?.failBatch()) {
      outcome = { status: 'failed', metrics: { ...outcome.metrics, outputRecordCount: 0 }, errors: [{ ...FILE_ERROR_CODES.injected }] };
    }
    // Nothing of a failed batch lands, so its filtered copies are of no use.
    if (outcome.status === 'failed') await rm(store.landedDir(batch.id), { recursive: true, force: true });
    return outcome;
  }

  /**
   * Replay (aep-api.md §2.5): a successful batch that names predecessors takes their place, as if
   * they had been deleted: they become inactive, and reads of the dataset no longer return them.
   */
  private async replace(batch: BatchRecord): Promise<void> {
    const now = this.deps.clock.now().getTime();
    for (const id of batch.replay?.predecessors ?? []) {
      const old = this.deps.store.get(id);
      if (!old || old.datasetId !== batch.datasetId || old.status !== 'success') continue;
      Object.assign(old, { status: 'inactive', updated: now });
      await this.deps.store.save(old);
    }
  }

  private finish(batch: BatchRecord, outcome: Pick<Outcome, 'status' | 'errors'> & Partial<Outcome>): void {
    const now = this.deps.clock.now().getTime();
    batch.status = outcome.status;
    batch.errors = outcome.errors;
    if (outcome.metrics) batch.metrics = outcome.metrics;
    batch.completed = now;
    batch.updated = now;
  }
}
