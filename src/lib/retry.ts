import { Clock, systemClock } from './clock';
import { isAbortError, isDataflowError } from './errors';

/** The only retry loop in dataflowd (STYLE.md rule 8). Callers classify; this waits. */
export interface RetryOptions {
  signal?: AbortSignal;
  clock?: Clock;
  /** Attempts in total, including the first. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
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
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || isAbortError(err) || opts.signal?.aborted || !retryable(err)) throw err;
      const retryAfter = isDataflowError(err) ? err.retryAfterMs : undefined;
      const delay = backoffDelay(attempt, base, max, random, retryAfter);
      opts.onRetry?.(err, attempt, delay);
      await clock.sleep(delay, opts.signal);
    }
  }
}
