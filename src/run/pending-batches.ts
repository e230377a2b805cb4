import type { Logger } from '../lib/logger';
import type { LedgerEntry, Store } from '../store/types';
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
    /** Only these files (the rest are delivered otherwise); default all. */
    private readonly only: (file: LedgerEntry) => boolean = () => true,
    /** Batches that go before the ledger's (planned ones). */
    first: readonly PlannedBatch[] = [],
  ) {
    this.queue.push(...first);
  }

  again(batch: PlannedBatch): void {
    this.queue.push(batch);
  }

  /** The next batch to deliver, or undefined when the run has sent everything it took. */
  async next(): Promise<PlannedBatch | undefined> {
    const queued = this.queue.shift();
    if (queued) return queued;
    for (;;) {
      const page = await this.store.pendingFilesOfRun(this.runId, { afterId: this.cursor, limit: this.maxFiles });
      if (page.length === 0) return undefined;
      const wanted = page.filter(this.only);
      if (wanted.length === 0) {
        this.cursor = page[page.length - 1].id;
        continue;
      }
      const [files] = groupBatches(wanted, this.maxFiles, this.maxBytes);
      this.cursor = files[files.length - 1].id;
      return { files, replaces: [] };
    }
  }
}

/**
 * A run's batches, read from the ledger a batch at a time. With `changedFiles: replace`, the
 * changed files (new versions of paths with an ingested version) are planned together first
 * (replay-plan.ts: files replacing one batch go together); only they are held at once, and the
 * new paths, most of a large run, still stream.
 */
export async function runBatches(
  ctx: { store: Store; logger: Logger; plan: Parameters<typeof planRunBatches>[0]['plan'] },
  runId: string,
): Promise<{ queue: BatchQueue; facts?: ReplayFacts }> {
  const { store, plan } = ctx;
  const stream = (only?: (f: LedgerEntry) => boolean, first?: PlannedBatch[]) => new PendingBatches(store, runId, plan.maxFilesPerBatch, plan.maxBatchBytes, only, first);
  if (plan.changedFiles !== 'replace') return { queue: stream() };
  const changed: LedgerEntry[] = [];
  for (let afterId = 0; ; ) {
    const page = await store.pendingFilesOfRun(runId, { afterId, limit: CHANGED_PAGE });
    if (page.length === 0) break;
    const ingested = await store.ingestedVersions(plan.dataflow, page.map((f) => f.path));
    changed.push(...page.filter((f) => ingested.has(f.path)));
    afterId = page[page.length - 1].id;
  }
  if (changed.length === 0) return { queue: stream() };
  const { batches, facts } = await planRunBatches(ctx, changed);
  const planned = new Set(changed.map((f) => f.id));
  return { queue: stream((f) => !planned.has(f.id), batches), facts };
}

/** Pending files read per query while looking for the changed ones. */
const CHANGED_PAGE = 5_000;
