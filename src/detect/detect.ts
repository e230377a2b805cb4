import type { RemoteFile } from '../connector/types';
import type { FileVersion, LedgerEntry } from './ledger-view';

/**
 * What a run does with one listed file, and why. `--dry-run` prints these; a run takes the
 * files whose action is `take`. Pure: a function of the listing, the ledger and the clock.
 */
export type Decision =
  | { action: 'take'; file: RemoteFile; version: FileVersion; reason: 'new' | 'changed' | 'retry' | 'requested'; previous?: LedgerEntry }
  | {
      action: 'skip';
      file: RemoteFile;
      reason: SkipReason;
      detail: string;
      previous?: LedgerEntry;
      /** A version to record in the ledger as `skipped` with `detail` (first sight of an unusable name). */
      record?: FileVersion;
    };

export type SkipReason =
  | 'excluded'
  | 'outside_backfill'
  | 'too_young'
  | 'not_yet_stable'
  | 'already_ingested'
  | 'rejected_before'
  | 'in_progress'
  | 'changed_ignored'
  | 'unusable_name';

export interface DetectRules {
  /** Why a path is excluded by the globs, or undefined when it is selected. */
  excludedBy(path: string): string | undefined;
  minFileAgeMs: number;
  /** `backfill: false`: files modified before this instant are not taken. */
  notBefore?: Date;
  changedFiles: 'replace' | 'append' | 'ignore';
  fingerprint(file: RemoteFile): string;
  /** Why a listed path cannot be taken at all (a name no storage or Platform can carry), if so. */
  nameProblem?(path: string): string | undefined;
  /** `dataflowd reprocess`: paths to send again whatever the ledger says of them (unless in flight). */
  requested?: ReadonlySet<string>;
}

/**
 * The decisions that need no ledger: the globs and the age rule. Undefined means the file goes
 * on to `decideAgainstLedger`, so only those files cost a ledger lookup.
 */
export function preselect(file: RemoteFile, now: Date, rules: DetectRules): Decision | undefined {
  const excluded = rules.excludedBy(file.path);
  if (excluded !== undefined) return { action: 'skip', file, reason: 'excluded', detail: excluded };
  if (rules.notBefore && file.modifiedAt < rules.notBefore) {
    const detail = `modified ${file.modifiedAt.toISOString()}, before ${rules.notBefore.toISOString()}; backfill is false`;
    return { action: 'skip', file, reason: 'outside_backfill', detail };
  }
  const ageMs = now.getTime() - file.modifiedAt.getTime();
  if (ageMs < rules.minFileAgeMs) {
    return {
      action: 'skip',
      file,
      reason: 'too_young',
      detail: `modified ${Math.round(ageMs / 1000)}s ago; minFileAge is ${Math.round(rules.minFileAgeMs / 1000)}s`,
    };
  }
  return undefined;
}

/**
 * The stability gate for a file younger than minFileAge: it is taken anyway when the previous
 * listing saw exactly this version (same size and modified time, or etag), since a file still
 * being written changes between listings. `seen` is that previous fingerprint, if any.
 */
export function stabilityGate(file: RemoteFile, young: Decision, seen: string | undefined, rules: DetectRules): Decision | undefined {
  if (young.action !== 'skip' || young.reason !== 'too_young') return young;
  if (seen === rules.fingerprint(file)) return undefined;
  const why = seen === undefined ? 'first seen in this listing' : 'changed since the previous listing';
  return { action: 'skip', file, reason: 'not_yet_stable', detail: `${why}; ${young.detail}: taken once a listing finds it unchanged or it is old enough` };
}

/** Decides for a file that passed `preselect`, given the newest ledger entry of its path. */
export function decideAgainstLedger(file: RemoteFile, previous: LedgerEntry | undefined, rules: DetectRules): Decision {
  const version: FileVersion = {
    path: file.path,
    fingerprint: rules.fingerprint(file),
    size: file.size,
    modifiedAt: file.modifiedAt,
  };
  const unusable = rules.nameProblem?.(file.path);
  if (unusable !== undefined) {
    const known = previous?.state === 'skipped' && previous.fingerprint === version.fingerprint;
    return { action: 'skip', file, reason: 'unusable_name', detail: `cannot be taken: ${unusable}`, previous, record: known ? undefined : version };
  }
  if (!previous) return { action: 'take', file, version, reason: 'new' };
  const inFlight = previous.state === 'pending' || previous.state === 'uploading' || previous.state === 'completing';
  if (rules.requested?.has(file.path) && !inFlight) return { action: 'take', file, version, reason: 'requested', previous };
  const retryable = previous.state === 'error' || previous.state === 'vanished' || previous.state === 'skipped';
  if (previous.fingerprint !== version.fingerprint) {
    if (retryable) return { action: 'take', file, version, reason: 'retry', previous };
    if (rules.changedFiles === 'ignore') {
      return { action: 'skip', file, reason: 'changed_ignored', detail: 'changed since it was taken; changedFiles is ignore', previous };
    }
    return { action: 'take', file, version, reason: 'changed', previous };
  }
  switch (previous.state) {
    case 'ingested':
      return { action: 'skip', file, reason: 'already_ingested', detail: `ingested by run ${previous.runId}, batch ${previous.batchId} (version ${previous.fingerprint}, ${previous.updatedAt.toISOString()})`, previous };
    case 'failed':
      return {
        action: 'skip',
        file,
        reason: 'rejected_before',
        detail: `rejected in run ${previous.runId}: ${previous.error ?? 'no reason given'}; change the file to send it again`,
        previous,
      };
    case 'pending':
    case 'uploading':
    case 'completing':
      return { action: 'skip', file, reason: 'in_progress', detail: `${previous.state} in run ${previous.runId}`, previous };
    case 'error':
    case 'vanished':
    case 'skipped':
      return { action: 'take', file, version, reason: 'retry', previous };
  }
}
