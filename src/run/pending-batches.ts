import type { LedgerEntry, Store } from '../store/types';
import { groupBatches } from './group-batches';

/**
 * The batches of a run, read from the ledger one at a time: the run's pending files outside any
 * batch, in the order they were taken, cut to the file-count and byte limits. A run of 100,000
 * files holds one batch of them, not all (issue 20). Files sent back to be delivered again
 * (`again`) go first, in a batch of their own; a page the byte limit cuts short is read again
 * from where the batch ended.
 */
export class PendingBatches {
  private cursor = 0;
  private readonly queue: LedgerEntry[][] = [];

  constructor(
    private readonly store: Pick<Store, 'pendingFilesOfRun'>,
    private readonly runId: string,
    private readonly maxFiles: number,
    private readonly maxBytes: number,
  ) {}

  again(files: LedgerEntry[]): void {
    this.queue.push(files);
  }

  /** The next batch to deliver, or undefined when the run has sent everything it took. */
  async next(): Promise<LedgerEntry[] | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    const page = await this.store.pendingFilesOfRun(this.runId, { afterId: this.cursor, limit: this.maxFiles });
    if (page.length === 0) return undefined;
    const [batch] = groupBatches(page, this.maxFiles, this.maxBytes);
    this.cursor = batch[batch.length - 1].id;
    return batch;
  }
}
