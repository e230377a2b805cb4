import type { BatchRecord, LedgerEntry, RunRecord, Store } from '../store/types';
import { runJson } from '../store/run-json';
import type { RunProgress } from './http-deps';

/*
 * What the dashboard shows of runs, read from the store: a run in flight file by file (when the
 * daemon gives nothing finer), and a dataflow's last ingestion, which is not its last run when
 * checks that found nothing new came after it.
 */

/** How far back the last ingestion is looked for, in runs of the dataflow. */
export const INGESTION_SCAN = 2000;

const UPLOADED = new Set(['completing', 'ingested', 'failed', 'error', 'vanished']);

/** A run in flight as the store shows it: a file counts once its upload is over. */
export function progressFromStore(run: RunRecord, files: readonly LedgerEntry[]): RunProgress {
  const uploaded = files.filter((f) => UPLOADED.has(f.state));
  let phase = 'listing the source';
  if (files.some((f) => f.state === 'pending' || f.state === 'uploading')) phase = 'uploading';
  else if (files.some((f) => f.state === 'completing')) phase = 'waiting for Platform';
  else if (files.length > 0) phase = 'finishing';
  return {
    runId: run.id,
    dataflow: run.dataflow,
    startedAt: run.startedAt,
    phase,
    filesDone: uploaded.length,
    filesTotal: files.length === 0 ? undefined : files.length,
    bytesDone: uploaded.reduce((n, f) => n + f.size, 0),
    bytesTotal: files.length === 0 ? undefined : files.reduce((n, f) => n + f.size, 0),
    records: files.reduce((n, f) => n + (f.records ?? 0), 0),
  };
}

export function progressJson(p: RunProgress, now: Date, source: 'daemon' | 'store') {
  const elapsedMs = Math.max(0, now.getTime() - p.startedAt.getTime());
  return {
    runId: p.runId,
    dataflow: p.dataflow,
    startedAt: p.startedAt.toISOString(),
    elapsedMs,
    phase: p.phase,
    filesDone: p.filesDone,
    filesTotal: p.filesTotal ?? null,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal ?? null,
    records: p.records,
    bytesPerSecond: elapsedMs > 0 ? Math.round((p.bytesDone * 1000) / elapsedMs) : null,
    source,
  };
}

export type ProgressJson = ReturnType<typeof progressJson>;

/** The runs in flight of the store, each with the daemon's progress when it has it, else the store's. */
export async function runningProgress(store: Store, live: readonly RunProgress[], now: Date, dataflow?: string): Promise<ProgressJson[]> {
  const byId = new Map(live.map((p) => [p.runId, p]));
  const running = await store.runningRuns(dataflow);
  return Promise.all(
    running.map(async (run) => {
      const p = byId.get(run.id);
      return p ? progressJson(p, now, 'daemon') : progressJson(progressFromStore(run, await store.filesOfRun(run.id)), now, 'store');
    }),
  );
}

const isIngestion = (r: RunRecord) => r.status !== 'skipped' && r.status !== 'running';

export interface IngestionFacts {
  /** The newest finished run that was not skipped (within INGESTION_SCAN runs). */
  lastIngestion?: RunRecord;
  /** Checks that found nothing new since then. */
  skippedSince: number;
  /** The newest of those checks: when the source was last looked at. */
  lastCheck?: RunRecord;
}

/**
 * Finds each dataflow's last ingestion, scanning its history again only when that history
 * changed (a new run, or one that finished).
 */
export class IngestionIndex {
  private readonly known = new Map<string, { key: string; facts: IngestionFacts }>();

  constructor(private readonly store: Store) {}

  async facts(dataflow: string, newest: RunRecord | undefined, running: readonly string[]): Promise<IngestionFacts> {
    if (!newest) return { skippedSince: 0 };
    const key = `${newest.id}:${newest.status}:${running.join(',')}`;
    const hit = this.known.get(dataflow);
    if (hit?.key === key) return hit.facts;
    const runs = isIngestion(newest) ? [newest] : await this.store.listRuns({ dataflow, limit: INGESTION_SCAN });
    const at = runs.findIndex(isIngestion);
    const before = at === -1 ? runs : runs.slice(0, at);
    const skipped = before.filter((r) => r.status === 'skipped');
    const facts = { lastIngestion: at === -1 ? undefined : runs[at], skippedSince: skipped.length, lastCheck: skipped[0] };
    this.known.set(dataflow, { key, facts });
    return facts;
  }
}

/** A run's page: the run, its batches, its files (the first `fileLimit`) and their states, its row errors. */
export async function runDetail(store: Store, run: RunRecord, opts: { fileLimit: number; rowErrorLimit: number }) {
  const [files, batches, rowErrors, notifications] = await Promise.all([
    store.filesOfRun(run.id),
    store.batchesOfRun(run.id),
    store.rowErrorsOfRun(run.id, { limit: opts.rowErrorLimit + 1 }),
    store.listNotifications({ runId: run.id, limit: NOTIFICATION_LIMIT }),
  ]);
  const fileStates: Record<string, number> = {};
  const perBatch = new Map<string, number>();
  for (const f of files) {
    fileStates[f.state] = (fileStates[f.state] ?? 0) + 1;
    if (f.batchId !== null) perBatch.set(f.batchId, (perBatch.get(f.batchId) ?? 0) + 1);
  }
  return {
    ...runJson(run),
    fileCount: files.length,
    fileStates,
    files: files.slice(0, opts.fileLimit).map(fileJson),
    batches: batches.map((b) => ({ ...batchJson(b), files: perBatch.get(b.id) ?? 0 })),
    rowErrors: rowErrors.slice(0, opts.rowErrorLimit).map((e) => ({
      file: e.file,
      rowNumber: e.rowNumber,
      lineNumber: e.lineNumber,
      column: e.column,
      field: e.field,
      code: e.code,
      message: e.message,
      batchId: e.batchId,
    })),
    moreRowErrors: rowErrors.length > opts.rowErrorLimit,
    // What was sent about the run and how it went; the bodies stay in the store (dataflowd notifications --json).
    notifications: notifications.map((n) => ({
      id: n.id,
      event: n.event,
      endpoint: n.endpoint,
      state: n.state,
      attempts: n.attempts,
      lastStatus: n.lastStatus,
      lastError: n.lastError,
      nextAttemptAt: n.state === 'pending' ? n.nextAt.toISOString() : null,
      deliveredAt: n.deliveredAt?.toISOString() ?? null,
    })),
  };
}

/** A run has one notification per webhook and event; more than this is a config no page needs to show whole. */
const NOTIFICATION_LIMIT = 50;

function fileJson(f: LedgerEntry) {
  return {
    id: f.id,
    path: f.path,
    size: f.size,
    modifiedAt: f.modifiedAt.toISOString(),
    state: f.state,
    batchId: f.batchId,
    records: f.records,
    error: f.error,
    updatedAt: f.updatedAt.toISOString(),
  };
}

function batchJson(b: BatchRecord) {
  return {
    id: b.id,
    dataset: b.dataset,
    state: b.state,
    platformStatus: b.platformStatus,
    recordsIn: b.recordsIn,
    recordsOut: b.recordsOut,
    recordsFailed: b.recordsFailed,
    error: b.error,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}
