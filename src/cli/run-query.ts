import { parseDuration } from '../config';
import type { RunRecord, RunStatus, Store } from '../store/types';

export const RUN_STATUSES = ['running', 'succeeded', 'partially_succeeded', 'failed', 'skipped', 'cancelled'] as const satisfies readonly RunStatus[];

export interface RunQuery {
  dataflow?: string;
  limit: number;
  statuses?: readonly RunStatus[];
  /** Runs started at or after this moment. */
  since?: Date;
}

/**
 * The query `history --status --since` needs from the store. listRuns answers only dataflow and
 * limit today: these fields are passed along for the day it answers them too, and the runs are
 * filtered here meanwhile, reading further back until `limit` runs match.
 */
type ListRunsQuery = Parameters<Store['listRuns']>[0] & { status?: readonly RunStatus[]; since?: Date };

/** How far back a filtered query reads before it gives up: past this, it says so. */
export const MAX_RUNS_SCANNED = 20_000;

/** The matching runs, newest first; `cappedAt` when it stopped reading at MAX_RUNS_SCANNED runs. */
export async function findRuns(store: Store, q: RunQuery): Promise<{ runs: RunRecord[]; cappedAt?: number }> {
  const matches = (r: RunRecord) => (q.statuses === undefined || q.statuses.includes(r.status)) && (q.since === undefined || r.startedAt >= q.since);
  let fetch = q.statuses === undefined && q.since === undefined ? q.limit : Math.max(100, q.limit * 4);
  for (;;) {
    const query: ListRunsQuery = { dataflow: q.dataflow, limit: fetch, status: q.statuses, since: q.since };
    const runs = await store.listRuns(query);
    const matching = runs.filter(matches);
    const oldest = runs.at(-1);
    const exhausted = runs.length < fetch || (q.since !== undefined && oldest !== undefined && oldest.startedAt < q.since);
    if (matching.length >= q.limit || exhausted) return { runs: matching.slice(0, q.limit) };
    if (fetch >= MAX_RUNS_SCANNED) return { runs: matching, cappedAt: fetch };
    fetch = Math.min(fetch * 4, MAX_RUNS_SCANNED);
  }
}

/** `--status failed,partial`: statuses by name; `partial` stands for partially_succeeded. */
export function parseStatuses(text: string): RunStatus[] {
  const known = new Set<string>(RUN_STATUSES);
  return text.split(',').map((raw) => {
    const s = raw.trim().toLowerCase().replace(/-/g, '_');
    const status = s === 'partial' ? 'partially_succeeded' : s;
    if (!known.has(status)) throw new Error(`--status: unknown status "${raw.trim()}" (expected ${RUN_STATUSES.join(', ')} or partial)`);
    return status as RunStatus;
  });
}

/** `--since 2h` (a duration back from now), `--since 2026-05-01` (local midnight) or an ISO time. */
export function parseSince(text: string, now: Date): Date {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const d = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (d.getMonth() === Number(day[2]) - 1) return d;
  } else if (/^\d+(\.\d+)?\s*[a-z]+$/i.test(text.trim())) {
    try {
      return new Date(now.getTime() - parseDuration(text.trim()));
    } catch {
      // Not a duration after all: said below.
    }
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(text.trim()) && !Number.isNaN(Date.parse(text.trim()))) {
    return new Date(Date.parse(text.trim()));
  }
  throw new Error(`--since: "${text}" is neither a duration (30m, 2h, 7d) nor a date (2026-05-01, 2026-05-01T08:00:00Z)`);
}
