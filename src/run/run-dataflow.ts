import { remotePathProblem } from '../connector/paths';
import type { ConnectorTraits, SourceConnector } from '../connector/types';
import type { Decision, DetectRules } from '../detect/detect';
import { fingerprint } from '../detect/fingerprint';
import type { Clock } from '../lib/clock';
import { crashPoint } from '../lib/crash-points';
import { errorFacts, errorMessage, isCancellation, isDataflowError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { RunNotifier } from '../notify/run-notifier';
import type { PlatformClient } from '../platform';
import type { Fence, FileVersion, LeaseOwner, RunCounts, RunRecord, RunResult, RunStatus, RunTrigger, Store } from '../store/types';
import { applyAfterIngest } from './after-ingest';
import { BatchOutcome, deliverBatch } from './deliver-batch';
import { runBatches } from './pending-batches';
import type { RunPlan } from './plan';
import { replaysFor } from './replay-plan';
import { scan, type TakeDecision } from './scan';

export interface RunDeps {
  plan: RunPlan;
  /** The dataflow's lease, held by this process for the whole run: every write carries it. */
  fence: Fence;
  /** This process, recorded on the run. */
  owner: LeaseOwner;
  store: Store;
  platform: PlatformClient;
  connector: SourceConnector;
  traits: ConnectorTraits;
  /** Why a path (relative to the connection root) is excluded by the globs; undefined if selected. */
  excludedBy: (path: string) => string | undefined;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  /** Ctrl-C: finish what Platform already has, start nothing new (deliver-batch.ts). */
  cancel?: AbortSignal;
  onBytes?: (n: number) => void;
  onTaken?: (files: number, bytes: number) => void;
  /** The run's record, created `running` by the runner when it took the lease. */
  runId: string;
  /** `dataflowd reprocess`: only these paths (connection-relative), sent again whatever the ledger says. */
  only?: ReadonlySet<string>;
  /** The run's notifications, written to the outbox with its final record. */
  notifier?: RunNotifier;
}

/**
 * One run (DESIGN.md §6), under the dataflow's lease and in its run record: list → detect → record pending → batches →
 * complete → settle → afterIngest → close the run. Never throws for the dataflow's own failures:
 * they end the run `failed` with the reason recorded, so the daemon goes on with the others.
 */
export async function runDataflow(deps: RunDeps, trigger: RunTrigger): Promise<RunRecord> {
  const { plan, store, clock, fence, runId } = deps;
  const logger = deps.logger.child({ dataflow: plan.dataflow, runId });
  logger.info({ trigger }, 'run started');
  const counts: RunCounts = { filesTaken: 0, filesIngested: 0, filesFailed: 0, filesRefused: 0, recordsIn: 0, recordsOut: 0, recordsFailed: 0, bytes: 0 };
  const batchIds: string[] = [];
  let error: string | null = null;
  let errorKind: string | null = null;
  let errorCode: string | null = null;
  let status: RunStatus;
  try {
    await payOwedAfterIngest(deps, logger);
    const rules = detectRules(deps);
    const taken = { files: 0, bytes: 0 };
    let recorded = false;
    const record = async (files: TakeDecision[]) => {
      if (!recorded) crashPoint('after-list');
      recorded = true;
      const pending = await store.addPending(fence, runId, files.map((d) => ({ ...d.version, supersedes: d.previous?.id ?? null })));
      taken.files += pending.length;
      taken.bytes += pending.reduce((a, f) => a + f.size, 0);
    };
    // Taken files are recorded pending as the listing goes, a chunk per transaction (scan.ts).
    const scanned = await scan({ ...deps, dataflow: plan.dataflow, folder: plan.folder, recursive: plan.recursive, rules, now: clock.now(), take: record });
    if (!recorded) crashPoint('after-list');
    if (scanned.refused.length > 0) {
      const refused = scanned.refused.map((d) => ({ ...(d.record as FileVersion), supersedes: d.previous?.id ?? null, reason: d.detail }));
      counts.filesRefused = (await store.addSkipped(fence, runId, refused)).length;
      for (const d of scanned.refused) logger.warn({ path: d.file.path, reason: d.detail }, 'file skipped: its name cannot be taken');
    }
    if (taken.files === 0) {
      error = `nothing new: ${scanned.listed} listed${describeSkipped(scanned.skipped)}`;
      logger.info({ listed: scanned.listed, skipped: scanned.skipped }, 'nothing new');
      const skipped = await closeRun(store, { id: runId }, { ...counts, status: 'skipped', finishedAt: clock.now(), batchIds, error }, fence, logger, deps.notifier);
      logger.info({ status: skipped.status, ...counts, batchIds }, 'run finished');
      return skipped;
    }
    crashPoint('after-pending');
    counts.filesTaken = taken.files;
    deps.onTaken?.(taken.files, taken.bytes);
    logger.info({ files: taken.files, listed: scanned.listed }, 'files taken');
    const outcomes: BatchOutcome[] = [];
    const { queue, facts } = await runBatches({ store, logger, plan }, runId);
    for (let seq = 0, batch = await queue.next(); batch; seq++, batch = await queue.next()) {
      deps.signal.throwIfAborted();
      if (deps.cancel?.aborted) break;
      const outcome = await deliverBatch({ ...deps, runId, logger }, batch.files, seq, batch.replaces);
      // Files held back only by a rejected neighbour, or by Platform, go at once in batches of their own,
      // replaying what each group still wholly replaces.
      for (const files of outcome.redeliver ?? []) queue.again({ files, replaces: facts ? replaysFor(files, facts).replaces : [] });
      outcomes.push(outcome);
      batchIds.push(outcome.batchId);
      addOutcome(counts, outcome);
      if (error === null && outcome.error !== undefined && !deps.cancel?.aborted) {
        error = outcome.error;
        errorKind = outcome.errorKind ?? null;
        errorCode = outcome.errorCode ?? null;
      }
      if (outcome.status === 'succeeded') {
        crashPoint('before-after-ingest');
        await afterIngestOf(deps, [outcome.batchId], logger);
      }
    }
    status = runStatus(outcomes);
    if (deps.cancel?.aborted) {
      // What the run did stands; what it had not sent yet is taken again by the next run.
      const left = await settleLeftovers(deps, runId, 'not sent: the run was cancelled');
      ({ error, errorKind, errorCode } = errorFacts(deps.cancel.reason));
      error = `${error}; ${counts.filesIngested} of ${counts.filesTaken} files ingested before it, ${left} left for the next run`;
      status = 'cancelled';
      logger.warn({ ingested: counts.filesIngested, left }, 'run cancelled');
    }
  } catch (err) {
    // A run stopped from outside (its deadline, a lost lease, a stop) says why, not just "aborted".
    const why = deps.signal.aborted && isDataflowError(deps.signal.reason) ? deps.signal.reason : deps.cancel?.aborted ? deps.cancel.reason : err;
    ({ error, errorKind, errorCode } = errorFacts(why));
    status = isCancellation(why) ? 'cancelled' : 'failed';
    if (status === 'cancelled') logger.warn({ reason: error }, 'run cancelled: files not yet in a completed batch are taken again by the next run');
    else logger.error({ err }, 'run failed');
    await settleLeftovers(deps, runId, error).catch((e) => logger.warn({ err: errorMessage(e) }, 'could not settle the run’s files; recovery will'));
  }
  const run = await closeRun(store, { id: runId }, { ...counts, status, finishedAt: clock.now(), batchIds, error, errorKind, errorCode }, fence, logger, deps.notifier);
  logger.info({ status: run.status, ...counts, batchIds }, 'run finished');
  return run;
}

/**
 * Writes how a run ended. When the lease was lost meanwhile the write is refused: the process that
 * took the dataflow over closes the run as interrupted, and this answers what happened here.
 */
export async function closeRun(store: Store, run: { id: string }, result: RunResult, fence: Fence, logger: Logger, notifier?: RunNotifier): Promise<RunRecord> {
  try {
    // The notifications enter the outbox in the transaction that records the end: none is lost to a crash.
    const notify = await notifier?.prepare(fence.dataflow, run.id, logger);
    return await store.finishRun(run.id, result, fence, notify);
  } catch (err) {
    if (!isLeaseLost(err)) throw err;
    logger.error({ runId: run.id, status: result.status }, 'run ended without its lease: its outcome is recorded by the process that took over');
    const seen = await store.getRun(run.id);
    return { ...(seen as RunRecord), ...result, status: 'failed', ...errorFacts(err) };
  }
}

function isLeaseLost(err: unknown): boolean {
  return isDataflowError(err) && err.code === 'ERR_LEASE_LOST';
}

/** afterIngest for the ingested files of these batches; then they owe nothing (owed-after-ingest.ts). */
async function afterIngestOf(deps: RunDeps, batchIds: readonly string[], logger: Logger): Promise<void> {
  for (const id of batchIds) {
    const ingested = (await deps.store.filesOfBatch(id)).filter((f) => f.state === 'ingested');
    await applyAfterIngest(deps.plan, deps.connector, ingested, (f) => fingerprint(f, deps.traits), logger, deps.signal);
  }
  if (deps.plan.afterIngest !== 'keep') await deps.store.paidAfterIngest(deps.fence, batchIds);
}

/** What earlier runs (or crash recovery) left owing: the settled batches get their afterIngest now. */
async function payOwedAfterIngest(deps: RunDeps, logger: Logger): Promise<void> {
  if (deps.plan.afterIngest === 'keep') return;
  const settled: string[] = [];
  for (const id of await deps.store.owedAfterIngest(deps.plan.dataflow)) {
    const batch = await deps.store.getBatch(id);
    if (batch?.state !== 'uploading' && batch?.state !== 'completing') settled.push(id);
  }
  if (settled.length === 0) return;
  logger.info({ batchIds: settled }, 'afterIngest left over by an earlier run');
  await afterIngestOf(deps, settled, logger);
}

/** The detection rules of a run (and of a dry run: the same decisions, nothing written). */
export function detectRules(deps: Pick<RunDeps, 'plan' | 'traits' | 'excludedBy' | 'only'>): DetectRules {
  const only = deps.only;
  return {
    excludedBy: only ? (path) => (only.has(path) ? deps.excludedBy(path) : 'not among the files asked for') : deps.excludedBy,
    requested: only,
    minFileAgeMs: deps.plan.minFileAgeMs,
    notBefore: deps.plan.notBefore,
    changedFiles: deps.plan.changedFiles,
    fingerprint: (f) => fingerprint(f, deps.traits),
    nameProblem: remotePathProblem,
  };
}

/** A run that failed or was cancelled half-way leaves no file `pending` or `uploading` behind it; answers how many it put back. */
async function settleLeftovers(deps: RunDeps, runId: string, error: string): Promise<number> {
  const open = (await deps.store.filesOfRun(runId)).filter((f) => f.state === 'pending' || f.state === 'uploading' || f.state === 'error');
  const fresh = open.filter((f) => f.state !== 'error');
  if (fresh.length > 0) await deps.store.setFileState(deps.fence, fresh.map((f) => f.id), 'error', { error });
  return open.length;
}

function addOutcome(counts: RunCounts, o: BatchOutcome): void {
  counts.filesIngested += o.filesIngested;
  counts.filesFailed += o.filesFailed;
  counts.recordsIn += o.recordsIn;
  counts.recordsOut += o.recordsOut;
  counts.recordsFailed += o.recordsFailed;
  counts.bytes += o.bytes;
}

/** Batches whose files all vanished before reading count for nothing: a vanished file is no failure. */
export function runStatus(outcomes: readonly BatchOutcome[]): RunStatus {
  const counted = outcomes.filter((o) => !(o.status === 'aborted' && o.error === undefined));
  if (counted.length === 0) return 'skipped';
  const good = counted.filter((o) => o.status === 'succeeded');
  if (good.length === 0) return 'failed';
  const clean = good.length === counted.length && good.every((o) => o.recordsFailed === 0);
  return clean ? 'succeeded' : 'partially_succeeded';
}

function describeSkipped(skipped: Record<string, number>): string {
  const parts = Object.entries(skipped).map(([reason, n]) => `${n} ${reason.replace(/_/g, ' ')}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export type { Decision };
