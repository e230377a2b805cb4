import type { Clock } from './clock';

/**
 * A signal that aborts with `reason()` once `ms` have passed on the clock, unless cleared first.
 * Every run has one (ingestion.runTimeout): whatever a run waits on, it ends.
 */
export function deadline(clock: Clock, ms: number, reason: () => Error): { signal: AbortSignal; clear(): void } {
  const expired = new AbortController();
  const cleared = new AbortController();
  clock.sleep(ms, cleared.signal).then(
    () => expired.abort(reason()),
    () => undefined,
  );
  return { signal: expired.signal, clear: () => cleared.abort() };
}
