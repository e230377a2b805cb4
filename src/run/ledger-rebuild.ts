import type { ConnectorTraits, RemoteFile, SourceConnector } from '../connector/types';
import { fingerprint } from '../detect/fingerprint';
import type { Clock } from '../lib/clock';
import { dataflowError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Batch, PlatformClient } from '../platform';
import { batchFormat } from '../prep/prepare';
import type { Fence, ImportedBatch, ImportedFile, Store } from '../store/types';
import { dataflowBatches } from './ledger-guard';
import type { RunPlan } from './plan';
import { uploadNameCandidates } from './source-paths';

/*
 * `dataflowd ledger rebuild` (issue 21 item 7): the ledger of a dataflow written again from what
 * Platform holds. Catalog gives the dataflow's ingested batches (by the externalIds its runs
 * gave them), Data Access the names of each batch's files; each file now in the source folder
 * is matched by the name it would have been uploaded under. What cannot be known, and how it
 * is handled:
 * - Catalog keeps no fingerprint: a listed file modified after the batch that holds its name was
 *   created is a later version, recorded as an unknown older one, so the next run takes the
 *   current one as changed (replacing that batch under `changedFiles: replace`).
 * - Platform may list a batch's files under names of its own (Adobe writes its own files): such
 *   names match nothing. `byTime` then records each unmatched listed file modified before the
 *   dataflow's newest ingested batch as ingested by it; without it they are taken again.
 * - Files gone from the source are not recorded: nothing would take them again anyway.
 */

export interface RebuildReport {
  dataflow: string;
  /** The dataflow's ingested batches found in Catalog (all imported). */
  batches: number;
  /** Listed files recorded as ingested, by name or (byTime) by their age. */
  byName: number;
  byTime: number;
  /** Of those by name, files changed since: an older version recorded, the current one taken by the next run. */
  changedSince: number;
  /** Listed files recorded nowhere: the next run takes them. */
  left: number;
  /** Names in Platform's batches that no listed file has. */
  unmatchedNames: number;
}

export interface RebuildContext {
  store: Store;
  platform: PlatformClient;
  connector: SourceConnector;
  traits: ConnectorTraits;
  plan: RunPlan;
  excludedBy: (path: string) => string | undefined;
  fence: Fence;
  runId: string;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  byTime?: boolean;
}

export async function rebuildLedger(ctx: RebuildContext): Promise<RebuildReport> {
  const { store, platform, plan, fence, signal } = ctx;
  if (!(await store.ledgerIsEmpty(fence.dataflow))) {
    throw dataflowError('ERR_LEDGER_NOT_EMPTY', 'config', `the ledger of ${fence.dataflow} is not empty: it is rebuilt only from nothing (point state.url at it after emptying, or use a new state)`);
  }
  const batches: Batch[] = [];
  for await (const b of dataflowBatches(platform, plan.datasetId, fence.dataflow, signal)) if (b.succeeded) batches.push(b);
  // Newest first: a name in several batches belongs to the newest.
  const byName = new Map<string, Batch>();
  for (const batch of batches) {
    for (const file of await platform.batchFiles(batch.id, signal)) {
      for (const entry of await platform.dataSetFileEntries(file.dataSetFileId, signal)) if (!byName.has(entry.name)) byName.set(entry.name, batch);
    }
  }
  const holds = batchFormat(plan);
  const newest = batches[0];
  const files: ImportedFile[] = [];
  const used = new Set<string>();
  const report: RebuildReport = { dataflow: fence.dataflow, batches: batches.length, byName: 0, byTime: 0, changedSince: 0, left: 0, unmatchedNames: 0 };
  for await (const file of ctx.connector.list(plan.folder, { recursive: plan.recursive, signal })) {
    if (ctx.excludedBy(file.path) !== undefined) continue;
    const name = uploadNameCandidates(plan.folder, file.path, holds).find((n) => byName.has(n));
    const batch = name === undefined ? undefined : byName.get(name);
    if (name !== undefined && batch) {
      used.add(name);
      report.byName++;
      const later = batch.created !== undefined && file.modifiedAt.getTime() > batch.created;
      if (later) report.changedSince++;
      files.push(later ? olderVersion(file, batch) : { ...version(file, ctx.traits), batchId: batch.id });
    } else if (ctx.byTime && newest?.created !== undefined && file.modifiedAt.getTime() <= newest.created) {
      report.byTime++;
      files.push({ ...version(file, ctx.traits), batchId: newest.id });
    } else {
      report.left++;
    }
  }
  report.unmatchedNames = [...byName.keys()].filter((n) => !used.has(n)).length;
  const imported: ImportedBatch[] = batches.map((b) => ({
    id: b.id,
    dataset: plan.datasetId,
    externalId: b.externalId as string,
    platformStatus: b.status,
    recordsIn: b.metrics.inputRecordCount ?? null,
    recordsOut: b.metrics.outputRecordCount ?? null,
    recordsFailed: b.metrics.failedRecordCount ?? null,
  }));
  const detail = `rebuilt from ${report.batches} batches in Catalog: ${report.byName} files by name (${report.changedSince} changed since), ${report.byTime} by time, ${report.left} left to be taken`;
  await store.importLedger(fence, ctx.runId, imported, files, { how: 'rebuilt', detail, at: ctx.clock.now() });
  ctx.logger.info({ ...report }, 'ledger rebuilt from Platform');
  return report;
}

function version(file: RemoteFile, traits: ConnectorTraits): Omit<ImportedFile, 'batchId'> {
  return { path: file.path, fingerprint: fingerprint(file, traits), size: file.size, modifiedAt: file.modifiedAt };
}

/** The version the batch took, whose fingerprint is not known: never equal to a listed one. */
function olderVersion(file: RemoteFile, batch: Batch): ImportedFile {
  return { path: file.path, fingerprint: `rebuilt:${batch.id}`, size: 0, modifiedAt: new Date(batch.created ?? 0), batchId: batch.id };
}
