import type { Clock } from '../lib/clock';
import { dataflowError } from '../lib/errors';
import type { Batch, WaitForBatchOptions } from './types';

/*
 * Polling a completed batch until Platform is done with it (reference/aep-api.md §12): Catalog
 * is read with growing pauses, since promotion takes seconds on the emulator and minutes on
 * Platform. Each read retries by itself (src/lib/retry.ts); an error that outlasts those retries
 * ends the wait, and the caller can resume it later from the batch id.
 */

export const DEFAULT_POLL_MS = 2000;
export const DEFAULT_MAX_POLL_MS = 30_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 4 * 3600_000;
export const DEFAULT_UNKNOWN_STATUS_TIMEOUT_MS = 30 * 60_000;
const GROWTH = 1.5;

/** The pause before poll number `n` (1-based): pollMs, then half again each time, up to maxPollMs. */
export function pollDelay(n: number, pollMs: number, maxPollMs: number): number {
  return Math.min(maxPollMs, Math.round(pollMs * GROWTH ** Math.max(0, n - 1)));
}

export async function waitForBatch(
  getBatch: (signal?: AbortSignal) => Promise<Batch>,
  clock: Clock,
  batchId: string,
  opts: WaitForBatchOptions = {},
): Promise<Batch> {
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const maxPollMs = Math.max(pollMs, opts.maxPollMs ?? DEFAULT_MAX_POLL_MS);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const deadline = clock.now().getTime() + timeoutMs;
  const unknownLimitMs = opts.unknownStatusTimeoutMs ?? DEFAULT_UNKNOWN_STATUS_TIMEOUT_MS;
  let lastStatus: string | undefined;
  /** Since when the batch has shown statuses Platform does not document, without a break. */
  let unknownSince: number | undefined;
  for (let n = 1; ; n++) {
    opts.signal?.throwIfAborted();
    const batch = await getBatch(opts.signal);
    if (batch.status !== lastStatus) {
      lastStatus = batch.status;
      opts.onStatus?.(batch);
    }
    if (batch.final) return batch;
    const now = clock.now().getTime();
    unknownSince = batch.handling === 'unknown' ? (unknownSince ?? now) : undefined;
    if (unknownSince !== undefined && now - unknownSince >= unknownLimitMs) {
      throw dataflowError(
        'ERR_PLATFORM_BATCH_STATUS_UNKNOWN',
        'platform',
        `batch ${batchId} reports status ${JSON.stringify(batch.status)}, which Platform does not document, for ${Math.round((now - unknownSince) / 1000)} s; it was not taken as success or failure`,
        { context: { batchId, status: batch.status } },
      );
    }
    const left = deadline - now;
    if (left <= 0) {
      throw dataflowError(
        'ERR_PLATFORM_BATCH_WAIT_TIMEOUT',
        'transient',
        `batch ${batchId} still ${batch.status} after ${Math.round(timeoutMs / 1000)} s`,
        { context: { batchId, status: batch.status, timeoutMs } },
      );
    }
    await clock.sleep(Math.min(left, pollDelay(n, pollMs, maxPollMs)), opts.signal);
  }
}
