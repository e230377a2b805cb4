import type { Logger } from '../lib/logger';
import type { Store } from '../store/types';
import { groupBatches } from './group-batches';
import { planRunBatches, type PlannedBatch, type ReplayFacts } from './replay-plan';

/** The batches a run delivers, one at a time; files sent back go again (`again`). */
export interface BatchQueue {
  next(): Promise<PlannedBatch | undefined>;
  again(batch: PlannedBatch): void;
}

/**
 * The batches of a run, read from the ledger one at a time: the run's pending files outside any
 * batch, in the order they were taken, cut to the file-count and byte limits. A run of 100,000
 * files holds one batch of them, not all (issue 20). Batches given back (`again`) go first; a
 * page the byte limit cuts short is read again from where the batch ended.
 */
export class PendingBatches implements BatchQueue {
  private cursor = 0;
  private readonly queue: PlannedBatch[] = [];

  constructor(
    private readonly store: Pick<Store, 'pendingFilesOfRun'>,
    private readonly runId: string,
    private readonly maxFiles: number,
    private readonly maxBytes: number,
  ) {}

  again(batch: PlannedBatch): void {
    this.queue.push(batch);
  }

  /** The next batch to deliver, or undefined when the run has sent everything it took. */
  async next(): Promise<PlannedBatch | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    const page = await this.store.pendingFilesOfRun(this.runId, { afterId: this.cursor, limit: this.maxFiles });
    if (page.length === 0) return undefined;
    const [files] = groupBatches(page, this.maxFiles, this.maxBytes);
    this.cursor = files[files.length - 1].id;
    return { files, replaces: [] };
  }
}

/**
 * A run's batches. With `changedFiles: replace` they are planned over the whole run
 * (replay-plan.ts: files replacing one batch go together), so that mode reads the run's files at
 * once; any other reads them a batch at a time.
 */
export async function runBatches(
  ctx: { store: Store; logger: Logger; plan: Parameters<typeof planRunBatches>[0]['plan'] },
  runId: string,
): Promise<{ queue: BatchQueue; facts?: ReplayFacts }> {
  const { plan } = ctx;
  if (plan.changedFiles !== 'replace') return { queue: new PendingBatches(ctx.store, runId, plan.maxFilesPerBatch, plan.maxBatchBytes) };
  const files = (await ctx.store.filesOfRun(runId)).filter((f) => f.state === 'pending' && f.batchId === null);
  const { batches, facts } = await planRunBatches(ctx, files);
  return { queue: { next: async () => batches.shift(), again: (b) => batches.push(b) }, facts };
}
