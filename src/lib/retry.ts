import { Clock, systemClock } from './clock';
import { isAbortError, isDataflowError } from './errors';

/** How a call is retried: its budget in tries and in time spent waiting between them. */
export interface RetryPolicy {
  /** Attempts in total, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Waiting between attempts, Retry-After included, stops short of this in all. */
  maxWaitMs: number;
}

/**
 * Every retry policy of dataflowd, in one place. A call has one: an error a loop has spent its
 * budget on is not retried again by a loop around it (`retriesSpent`), so policies never multiply
 * (an upload once could be tried 3 × 8 times, its file reopened around the client's retries).
 */
export const RETRY_POLICIES = {
  /**
   * One call to Platform (platform-http.ts): fails only after 8 attempts in a row did (at 20 %
   * failing calls, 3 in a million), about half a minute of backoff, longer when Platform asks.
   */
  platformCall: { attempts: 8, baseDelayMs: 250, maxDelayMs: 30_000, maxWaitMs: 10 * 60_000 },
  /**
   * One file of a batch sent again from its source (deliver-batch.ts), for what the client cannot
   * resend itself: a body already read (ERR_PLATFORM_UPLOAD_INTERRUPTED), a file that changed
   * while read, the source's own transient trouble.
   */
  fileUpload: { attempts: 3, baseDelayMs: 200, maxDelayMs: 30_000, maxWaitMs: 10 * 60_000 },
  /** A dataflow's folder listed again (scan.ts): a partial listing is an error, never "no new files". */
  listing: { attempts: 3, baseDelayMs: 200, maxDelayMs: 30_000, maxWaitMs: 10 * 60_000 },
} as const satisfies Record<string, RetryPolicy>;

/** Errors a retry loop gave up on for want of tries or time. */
const spent = new WeakSet<object>();

/** Whether a retry loop already spent its budget on err: a loop around it passes it on. */
export function retriesSpent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && spent.has(err);
}

/** The only retry loop in dataflowd (STYLE.md rule 8). Callers classify; this waits. */
export interface RetryOptions extends Partial<RetryPolicy> {
  signal?: AbortSignal;
  clock?: Clock;
  /** Decides whether err is worth another attempt. Default: DataflowError of kind transient. */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

export function isTransient(err: unknown): boolean {
  return isDataflowError(err) && err.kind === 'transient';
}

/** Exponential backoff with full jitter, never shorter than a server's Retry-After. */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const attempts = opts.attempts ?? 5;
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 30_000;
  const retryable = opts.retryable ?? isTransient;
  const random = opts.random ?? Math.random;
  const maxWait = opts.maxWaitMs ?? Infinity;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (isAbortError(err) || opts.signal?.aborted || retriesSpent(err) || !retryable(err)) throw err;
      const retryAfter = isDataflowError(err) ? err.retryAfterMs : undefined;
      const delay = backoffDelay(attempt, base, max, random, retryAfter);
      if (attempt >= attempts || waited + delay > maxWait) {
        if (typeof err === 'object' && err !== null) spent.add(err);
        throw err;
      }
      waited += delay;
      opts.onRetry?.(err, attempt, delay);
      await clock.sleep(delay, opts.signal);
    }
  }
}
