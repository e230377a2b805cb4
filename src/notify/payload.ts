import type { NotificationEvent } from '../config';
import type { BatchRecord, RunRecord } from '../store/types';
import { EVENT_TYPES } from './events';

/** What a notification tells, besides the run itself. */
export interface NotificationFacts {
  id: string;
  event: NotificationEvent;
  run: RunRecord;
  batches: readonly BatchRecord[];
  sandbox: string;
  link?: string;
  /** For dataflow.stopped_ingesting: the failed runs in a row, this one included. */
  failedInARow?: number;
}

const STATUS_SUMMARY: Partial<Record<RunRecord['status'], string>> = { succeeded: 'success', partially_succeeded: 'partialSuccess', failed: 'failed' };

/**
 * The JSON body, modelled on Platform's flow-run notification (reference/aep-api.md §7.6, §8.2):
 * `event_id` to de-duplicate on, the event type, and the run as a flow-run object with its
 * metrics, status summary with errors (code, kind, message), the batches it made, and its link.
 */
export function flowRunPayload(f: NotificationFacts) {
  const { run } = f;
  const started = run.startedAt.getTime();
  const finished = (run.finishedAt ?? run.startedAt).getTime();
  return {
    event_id: f.id,
    event_type: EVENT_TYPES[f.event],
    event_name: f.event,
    event: {
      id: run.id,
      flowId: run.dataflow,
      sandboxName: f.sandbox,
      trigger: run.trigger,
      status: run.status,
      createdAt: started,
      updatedAt: finished,
      metrics: {
        durationSummary: { startedAtUTC: started, completedAtUTC: finished, durationMs: finished - started },
        sizeSummary: { inputBytes: run.bytes },
        recordSummary: { inputRecordCount: run.recordsIn, outputRecordCount: run.recordsOut, failedRecordCount: run.recordsFailed },
        fileSummary: { inputFileCount: run.filesTaken, outputFileCount: run.filesIngested, failedFileCount: run.filesFailed, skippedFileCount: run.filesRefused },
        statusSummary: {
          status: STATUS_SUMMARY[run.status] ?? run.status,
          errors: run.error === null ? [] : [{ code: run.errorCode, kind: run.errorKind, message: run.error }],
        },
      },
      activities: [
        {
          id: 'promotionActivity',
          targetInfo: { reference: { type: 'Batch', ids: run.batchIds } },
          batches: f.batches.map((b) => ({
            id: b.id,
            dataset: b.dataset,
            status: b.platformStatus ?? b.state,
            inputRecordCount: b.recordsIn,
            outputRecordCount: b.recordsOut,
            failedRecordCount: b.recordsFailed,
            error: b.error,
          })),
        },
      ],
      ...(f.failedInARow === undefined ? {} : { stoppedIngesting: { failedRunsInARow: f.failedInARow } }),
      _links: f.link === undefined ? {} : { dashboard: { href: f.link } },
    },
  };
}
