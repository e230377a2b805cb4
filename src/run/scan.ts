import type { RemoteFile, SourceConnector } from '../connector/types';
import { Decision, DetectRules, decideAgainstLedger, preselect, stabilityGate } from '../detect/detect';
import { retry, RETRY_POLICIES } from '../lib/retry';
import type { Fence, Store } from '../store/types';

/** Ledger lookups per query: bounded memory for folders of any size (DESIGN.md §6 step 3). */
const CHUNK = 500;

export interface ScanResult {
  listed: number;
  taken: Extract<Decision, { action: 'take' }>[];
  /** Unusable names seen for the first time: recorded in the ledger as `skipped`, with why. */
  refused: Extract<Decision, { action: 'skip' }>[];
  /** Counts of skipped files by reason. */
  skipped: Record<string, number>;
}

export interface ScanOptions {
  connector: SourceConnector;
  store: Store;
  dataflow: string;
  folder: string;
  recursive: boolean;
  rules: DetectRules;
  now: Date;
  signal: AbortSignal;
  /** The run's lease, to remember young files' versions for the stability gate; none for a dry run (it writes nothing). */
  fence?: Fence;
  /** Called for every decision, taken or not (for `--dry-run`). */
  onDecision?: (d: Decision) => void;
}

/**
 * Lists the folder and decides for every file, comparing with the ledger in chunks so that
 * neither the whole listing nor the whole ledger is held at once. Only the taken files are kept.
 * A listing that fails part-way throws: it must never look like "nothing new". A transient
 * failure (a throttled page, a dropped connection) lists again from the start.
 */
export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const result = await retry(() => scanOnce(opts), { ...RETRY_POLICIES.listing, signal: opts.signal });
  if (opts.onDecision) result.decisions.forEach(opts.onDecision);
  return { listed: result.listed, taken: result.taken, refused: result.refused, skipped: result.skipped };
}

async function scanOnce(opts: ScanOptions): Promise<ScanResult & { decisions: Decision[] }> {
  const result = { listed: 0, taken: [] as ScanResult['taken'], refused: [] as ScanResult['refused'], skipped: {} as ScanResult['skipped'], decisions: [] as Decision[] };
  const record = (d: Decision) => {
    // Decisions are only kept for a caller that asked for them (a dry run), never for a run.
    if (opts.onDecision) result.decisions.push(d);
    if (d.action === 'take') result.taken.push(d);
    else result.skipped[d.reason] = (result.skipped[d.reason] ?? 0) + 1;
    if (d.action === 'skip' && d.record) result.refused.push(d);
  };
  let chunk: RemoteFile[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const ledger = await opts.store.latestVersions(opts.dataflow, chunk.map((f) => f.path));
    for (const file of chunk) record(decideAgainstLedger(file, ledger.get(file.path), opts.rules));
    chunk = [];
  };
  for await (const file of opts.connector.list(opts.folder, { recursive: opts.recursive, signal: opts.signal })) {
    result.listed++;
    const early = await gate(opts, file, preselect(file, opts.now, opts.rules));
    if (early) {
      record(early);
      continue;
    }
    chunk.push(file);
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  return result;
}

/**
 * Young files pass the stability gate when the previous listing saw the same version. Versions
 * seen are kept in the store per dataflow and path, only for files younger than minFileAge, so
 * there are few of them.
 */
async function gate(opts: ScanOptions, file: RemoteFile, early: Decision | undefined): Promise<Decision | undefined> {
  if (!early || early.action !== 'skip' || early.reason !== 'too_young') return early;
  const seen = await opts.store.seenVersion(opts.dataflow, file.path);
  // Only a listing before this scan counts (a listing retried after a failure is the same scan).
  const verdict = stabilityGate(file, early, seen && seen.seenAt < opts.now ? seen.fingerprint : undefined, opts.rules);
  if (verdict && opts.fence) await opts.store.recordSeen(opts.fence, file.path, { fingerprint: opts.rules.fingerprint(file), seenAt: opts.now });
  return verdict;
}
