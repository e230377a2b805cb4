import type { Logger } from '../lib/logger';
import type { LedgerEntry, Store } from '../store/types';
import { groupBatches } from './group-batches';

/*
 * `changedFiles: replace` (issue 18): a new version of a file already ingested goes in a batch
 * whose create request names the old version's batch in `replay.predecessors`; once it
 * succeeds, Platform takes the old batch out of the dataset, so the data lake does not keep both
 * versions. Replay works on whole batches, and a batch may only replay batches of its own
 * dataset. A predecessor batch often holds other files too; replaying it would drop their
 * records. So a batch is replayed only when every file it still holds (its ingested entries
 * that are their path's newest ingested version) is being replaced in the same new batch;
 * otherwise the changed files of that batch are appended (sent beside the old version, as
 * `append` does), and the reason is logged. Sending the unchanged siblings again instead would
 * re-read files that afterIngest may have deleted or moved, and send data that did not change.
 */

export interface PlannedBatch {
  files: LedgerEntry[];
  /** The batches this one replays. */
  replaces: string[];
}

/** What the ledger knows of the versions the taken files replace. */
export interface ReplayFacts {
  /** Taken path → the batch holding its newest ingested version, when that is another version. */
  predecessor: Map<string, string>;
  /** Predecessor batch → why it cannot be replayed (another dataset, not succeeded). */
  unusable: Map<string, string>;
  /** Predecessor batch → the paths whose newest ingested version it holds. */
  holdings: Map<string, string[]>;
}

export async function replayFacts(store: Store, dataflow: string, datasetId: string, files: readonly LedgerEntry[]): Promise<ReplayFacts> {
  const facts: ReplayFacts = { predecessor: new Map(), unusable: new Map(), holdings: new Map() };
  const ingested = await store.ingestedVersions(dataflow, files.map((f) => f.path));
  for (const f of files) {
    const old = ingested.get(f.path);
    if (old?.batchId && old.fingerprint !== f.fingerprint) facts.predecessor.set(f.path, old.batchId);
  }
  for (const id of new Set(facts.predecessor.values())) {
    const batch = await store.getBatch(id);
    if (batch?.state !== 'succeeded') facts.unusable.set(id, `its batch ${id} is not known as ingested`);
    else if (batch.dataset !== datasetId) facts.unusable.set(id, `its batch ${id} is in dataset ${batch.dataset}, and a batch replays only batches of its own dataset (${datasetId})`);
    const held = (await store.filesOfBatch(id)).filter((e) => e.state === 'ingested');
    const newest = await store.ingestedVersions(dataflow, held.map((e) => e.path));
    facts.holdings.set(id, held.filter((e) => newest.get(e.path)?.id === e.id).map((e) => e.path));
  }
  return facts;
}

/** The predecessors a group of files can replay, and the changed files that are appended instead, each with why. */
export function replaysFor(files: readonly LedgerEntry[], facts: ReplayFacts): { replaces: string[]; appended: Array<{ path: string; reason: string }> } {
  const byBatch = new Map<string, Set<string>>();
  for (const f of files) {
    const p = facts.predecessor.get(f.path);
    if (p !== undefined) byBatch.set(p, (byBatch.get(p) ?? new Set()).add(f.path));
  }
  const replaces: string[] = [];
  const appended: Array<{ path: string; reason: string }> = [];
  for (const [id, paths] of byBatch) {
    const left = (facts.holdings.get(id) ?? []).filter((h) => !paths.has(h));
    const why = facts.unusable.get(id) ?? (left.length > 0 ? `its batch ${id} also holds ${left.length} file(s) not replaced with it (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''})` : undefined);
    if (why === undefined) replaces.push(id);
    else for (const path of paths) appended.push({ path, reason: why });
  }
  return { replaces, appended };
}

/**
 * The run's batches: the files replacing each replayable batch go together (several such groups
 * share a batch within the limits); every other file is grouped as usual.
 */
export function planBatches(files: readonly LedgerEntry[], facts: ReplayFacts, maxFiles: number, maxBytes: number): { batches: PlannedBatch[]; appended: Array<{ path: string; reason: string }> } {
  const { replaces, appended } = replaysFor(files, facts);
  const units = replaces.map((id) => files.filter((f) => facts.predecessor.get(f.path) === id));
  const inUnits = new Set(units.flat());
  const batches: PlannedBatch[] = [];
  let current: PlannedBatch | undefined;
  for (const [i, unit] of units.entries()) {
    const bytes = (b: PlannedBatch) => b.files.reduce((a, f) => a + f.size, 0);
    const unitBytes = unit.reduce((a, f) => a + f.size, 0);
    if (!current || current.files.length + unit.length > maxFiles || bytes(current) + unitBytes > maxBytes) {
      current = { files: [], replaces: [] };
      batches.push(current);
    }
    current.files.push(...unit);
    current.replaces.push(replaces[i]);
  }
  const rest = files.filter((f) => !inUnits.has(f));
  for (const group of groupBatches(rest, maxFiles, maxBytes)) batches.push({ files: group, replaces: [] });
  return { batches, appended };
}

/** Batches for a run: with `replace`, planned for replay (and the fallbacks logged); else grouped as they come. */
export async function planRunBatches(
  ctx: { store: Store; logger: Logger; plan: { dataflow: string; datasetId: string; changedFiles: string; maxFilesPerBatch: number; maxBatchBytes: number } },
  files: readonly LedgerEntry[],
): Promise<{ batches: PlannedBatch[]; facts?: ReplayFacts }> {
  const { plan } = ctx;
  if (plan.changedFiles !== 'replace') return { batches: groupBatches(files, plan.maxFilesPerBatch, plan.maxBatchBytes).map((g) => ({ files: g, replaces: [] })) };
  const facts = await replayFacts(ctx.store, plan.dataflow, plan.datasetId, files);
  const { batches, appended } = planBatches(files, facts, plan.maxFilesPerBatch, plan.maxBatchBytes);
  for (const a of appended) ctx.logger.warn({ path: a.path, reason: a.reason }, 'changed file sent beside its old version, not replacing it');
  return { batches, facts };
}
