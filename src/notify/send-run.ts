import type { LoadedConfig } from '../config';
import { systemClock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { RunRecord, Store } from '../store/types';
import { OutboxDrainer } from './drain';

/** How long `dataflowd run` waits for its notifications before leaving them to a daemon. */
export const RUN_NOTIFY_WAIT_MS = 15_000;

/**
 * `dataflowd run`: the run's notifications (already in the outbox) are sent before the command
 * exits, retried for a bounded time; so are the ones, never tried yet, of runs a dead process left
 * that this run closed as interrupted (its recovery wrote them). What is left stays in the outbox
 * for a daemon on the same state to deliver, and a log line says so. Ctrl-C stops the wait.
 */
export async function sendRunNotifications(
  run: RunRecord,
  opts: { store: Store; config: LoadedConfig; processId: string; logger: Logger; cancel: AbortSignal; waitMs?: number },
): Promise<void> {
  if (opts.cancel.aborted) return;
  const drainer = new OutboxDrainer({ store: opts.store, config: () => opts.config, processId: opts.processId, clock: systemClock, logger: opts.logger });
  const stop = () => void drainer.close();
  opts.cancel.addEventListener('abort', stop, { once: true });
  const leftover = (left: number | string) =>
    `notifications not delivered yet (${left}): left in the outbox for a daemon (dataflowd start) on the same state to deliver`;
  const until = Date.now() + (opts.waitMs ?? RUN_NOTIFY_WAIT_MS);
  try {
    const closed = (await opts.store.listNotifications({ dataflow: run.dataflow, limit: 100 }))
      .filter((n) => n.state === 'pending' && n.attempts === 0 && n.runId !== null && n.runId !== run.id)
      .map((n) => n.runId as string);
    let left = 0;
    for (const runId of [run.id, ...new Set(closed)]) left += await drainer.drainRun(runId, Math.max(0, until - Date.now()));
    if (left > 0) opts.logger.warn({ runId: run.id, left }, leftover(left));
  } catch (err) {
    opts.logger.warn({ runId: run.id, err: errorMessage(err) }, leftover('interrupted'));
  } finally {
    opts.cancel.removeEventListener('abort', stop);
  }
}
