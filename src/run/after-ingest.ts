import type { SourceConnector } from '../connector/types';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { LedgerEntry } from '../store/types';
import type { RunPlan } from './plan';
import { archivePath } from './source-paths';

/**
 * The note on an ingested file some of whose rows Platform did not take (refused before upload,
 * or dropped by Platform within the partial-ingestion threshold, when it cannot say whose).
 */
export const PARTLY_INGESTED = 'partly ingested: ';

/** Where `afterIngest: move` puts a partly ingested file, below moveTo. */
export const REJECTED_FOLDER = 'rejected';

/**
 * DESIGN.md §6 step 6: delete or move files of an accepted batch, but only when a fresh stat
 * shows the same version we ingested — a file rewritten meanwhile is left for the next run.
 * A partly ingested file is never deleted (its refused rows exist nowhere else): `delete` keeps
 * it in place, `move` puts it in moveTo/rejected/ rather than beside the files that got in whole.
 * Failures here are logged, never fatal: the data is already in Platform.
 */
export async function applyAfterIngest(
  plan: RunPlan,
  connector: SourceConnector,
  entries: readonly LedgerEntry[],
  fingerprint: (f: { size: number; modifiedAt: Date; etag?: string; path: string }) => string,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  if (plan.afterIngest === 'keep' || entries.length === 0) return;
  const action = plan.afterIngest === 'delete' ? connector.remove?.bind(connector) : undefined;
  const move = plan.afterIngest === 'move' ? connector.move?.bind(connector) : undefined;
  if (!action && !move) {
    logger.warn({ afterIngest: plan.afterIngest }, 'this connection cannot do that; files are kept');
    return;
  }
  for (const entry of entries) {
    try {
      const now = await connector.stat(entry.path, { signal });
      if (!now || fingerprint(now) !== entry.fingerprint) {
        logger.warn({ path: entry.path }, 'file changed after it was ingested; leaving it in place');
        continue;
      }
      const partly = entry.error?.startsWith(PARTLY_INGESTED) === true;
      if (partly && action) {
        logger.warn({ path: entry.path, why: entry.error }, 'some rows of the file did not get in: kept in place, not deleted');
        continue;
      }
      const to = partly ? joinFolder(plan.moveTo, REJECTED_FOLDER) : plan.moveTo;
      if (partly) logger.warn({ path: entry.path, why: entry.error }, `some rows of the file did not get in: moved to ${REJECTED_FOLDER}/`);
      if (action) await action(entry.path, { signal });
      else if (move) await move(entry.path, archivePath(plan.folder, to, entry.path), { signal });
    } catch (err) {
      logger.warn({ path: entry.path, err: errorMessage(err) }, `afterIngest ${plan.afterIngest} failed`);
    }
  }
}

function joinFolder(folder: string | undefined, name: string): string {
  const base = (folder ?? '').replace(/\/+$/, '');
  return base === '' ? name : `${base}/${name}`;
}
