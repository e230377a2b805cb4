import type { Clock } from '../lib/clock';
import { FINAL_STATUSES, type BatchRecord } from './batch-model';
import type { BatchProcessor } from './batch-processor';
import type { BatchStore } from './batch-store';
import { OUTCOME_STEP, type FaultInjector } from './faults';

/*
 * Statuses a fault rule makes Catalog show of a completed batch (faults.ts batchStatuses), so
 * that tests can drive a client through each one Platform documents (staging, retrying,
 * stalled, abandoned, inactive, …) or one it never did. A step goes by at each read of the batch,
 * so a client polling it sees every one, whatever its pace; the script is kept with the batch.
 */
export class StatusScripts {
  constructor(
    private readonly deps: { faults: FaultInjector; processor: BatchProcessor; store: BatchStore; clock: Clock },
  ) {}

  /** At COMPLETE: true when a script took the batch, which then shows its first step. */
  async start(batch: BatchRecord): Promise<boolean> {
    const steps = this.deps.faults.statusScript(batch.datasetId);
    if (!steps) return false;
    batch.script = { steps, at: 0 };
    await this.advance(batch);
    return true;
  }

  /**
   * Before a read: once the real outcome is in, the step after `outcome` is shown at once (the
   * outcome itself is shown only when it is the last step), so `[outcome, inactive]` reads as
   * processing…, inactive, as a client polling slowly would see a batch replaced meanwhile.
   */
  async beforeRead(batch: BatchRecord): Promise<void> {
    const script = batch.script;
    if (!script || script.at === 0 || script.at >= script.steps.length) return;
    if (script.steps[script.at - 1] === OUTCOME_STEP && batch.status !== 'processing') await this.advance(batch);
  }

  /** After a read: the next step, for the next read; not while the real outcome is being worked out. */
  async afterRead(batch: BatchRecord): Promise<void> {
    const script = batch.script;
    if (!script || script.at === 0 || script.steps[script.at - 1] === OUTCOME_STEP) return;
    await this.advance(batch);
  }

  private async advance(batch: BatchRecord): Promise<void> {
    const script = batch.script;
    if (!script || script.at >= script.steps.length) return;
    const step = script.steps[script.at++];
    const now = this.deps.clock.now().getTime();
    batch.updated = now;
    if (step === OUTCOME_STEP) {
      batch.status = 'processing';
      await this.deps.store.save(batch);
      this.deps.processor.schedule(batch);
      return;
    }
    batch.status = step;
    if (FINAL_STATUSES.has(step)) batch.completed ??= now;
    await this.deps.store.save(batch);
  }
}
