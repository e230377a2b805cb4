import type { NotificationEvent } from '../config';
import type { RunRecord } from '../store/types';

/**
 * Platform's flow-run notification codes (reference/aep-api.md §8.2) for our events; Platform has
 * no code for the last two, so they are named the same way.
 */
export const EVENT_TYPES: Readonly<Record<NotificationEvent, string>> = {
  'run.succeeded': 'sources_flow_run_success',
  'run.failed': 'sources_flow_run_failure',
  'run.partially_succeeded': 'sources_flow_run_partial_success',
  'dataflow.stopped_ingesting': 'sources_flow_stopped_ingesting',
};

const RUN_EVENTS: Partial<Record<RunRecord['status'], NotificationEvent>> = {
  succeeded: 'run.succeeded',
  failed: 'run.failed',
  partially_succeeded: 'run.partially_succeeded',
};

/**
 * Failed runs in a row before this one, newest first: skipped runs (nothing new, another process
 * busy) and cancelled ones neither count nor break the streak; any run that ingested ends it.
 */
export function failedInARow(earlier: readonly RunRecord[]): number {
  let n = 0;
  for (const run of earlier) {
    if (run.status === 'failed') n++;
    else if (run.status === 'succeeded' || run.status === 'partially_succeeded') break;
  }
  return n;
}

/**
 * The events a finished run raises. A dataflow has stopped ingesting when its run fails and makes
 * `afterFailedRuns` failures in a row: raised once per streak, on the run that reaches it.
 */
export function runEvents(run: RunRecord, failedBefore: number, afterFailedRuns: number): NotificationEvent[] {
  const event = RUN_EVENTS[run.status];
  if (!event) return [];
  const stopped = run.status === 'failed' && failedBefore + 1 === afterFailedRuns;
  return stopped ? [event, 'dataflow.stopped_ingesting'] : [event];
}
