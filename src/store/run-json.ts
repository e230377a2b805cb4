import type { RunRecord } from './types';

/** A run as the API, `history --json` and `run --json` show it: dates as ISO text, its duration. */
export function runJson(run: RunRecord) {
  return {
    id: run.id,
    dataflow: run.dataflow,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
    filesTaken: run.filesTaken,
    filesIngested: run.filesIngested,
    filesFailed: run.filesFailed,
    filesRefused: run.filesRefused,
    recordsIn: run.recordsIn,
    recordsOut: run.recordsOut,
    recordsFailed: run.recordsFailed,
    bytes: run.bytes,
    batchIds: run.batchIds,
    error: run.error,
    errorKind: run.errorKind,
    errorCode: run.errorCode,
    ranBy: run.owner && { host: run.owner.host, pid: run.owner.pid, processId: run.owner.processId },
  };
}
