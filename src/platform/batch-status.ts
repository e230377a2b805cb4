import type { Batch, BatchError, BatchMetrics, StatusHandling } from './types';

/*
 * Catalog batch statuses (reference/aep-api.md §3.2). The enum is from the Catalog OpenAPI
 * spec [OAS-CAT]; meanings and which ones are terminal from the batch ingestion overview and
 * troubleshooting guide [BI-OVERVIEW] [BI-TRBL].
 */

export type { StatusHandling } from './types';

export const STATUS_HANDLING: Readonly<Record<string, StatusHandling>> = {
  loading: 'wait', // client still uploading, COMPLETE not called [BI-OVERVIEW]
  loaded: 'wait', // client finished writing, ready for promotion [BI-OVERVIEW]
  staging: 'wait', // being staged/processed after COMPLETE [BI-OVERVIEW]
  staged: 'wait', // staging done, ingestion job has run [BI-OVERVIEW]
  processing: 'wait', // in the enum, no prose definition [OAS-CAT]
  queued: 'wait', // in the enum, no prose definition [OAS-CAT]
  retrying: 'wait', // transient system error, Platform retries by itself [BI-TRBL]
  success: 'ingested', // promoted; interchangeable with active [BI-TRBL]
  active: 'ingested', // promoted, available downstream [BI-OVERVIEW] [BI-TRBL]
  // Reached only by batches promoted first (troubleshooting guide only): sending the files
  // again would duplicate them.
  archived: 'ingested', // moved to cold storage [BI-TRBL]
  retained: 'ingested', // moved out of master [BI-TRBL]
  failed: 'rejected', // bad config or bad data, errors on the batch [BI-OVERVIEW]
  failure: 'rejected', // interchangeable with failed [BI-TRBL]
  // Promotion stalled after Platform's own retries ran out [BI-TRBL]: nothing was said of the
  // data, and waiting longer would only run into the wait's timeout.
  stalled: 'resend',
  abandoned: 'resend', // not completed by the client in the expected time [BI-OVERVIEW]
  aborted: 'aborted', // ABORT was called [BI-OVERVIEW]
  inactive: 'look-up', // promoted, then reverted, replaced or expired [BI-GUIDE] [BI-OVERVIEW]
  deleted: 'look-up', // an inactive batch once garbage-collected [BI-GUIDE]
};

export function statusHandling(s: string): StatusHandling {
  return STATUS_HANDLING[normaliseStatus(s)] ?? 'unknown';
}

const statusesHandled = (...handlings: StatusHandling[]) => Object.keys(STATUS_HANDLING).filter((s) => handlings.includes(STATUS_HANDLING[s]));

/** Still moving: poll again. */
export const IN_FLIGHT_STATUSES: readonly string[] = statusesHandled('wait');

/** Final, and the data reached the dataset. */
export const SUCCESS_STATUSES: readonly string[] = statusesHandled('ingested');

/** Final, and the data did not (or no longer does) reach the dataset. */
export const FAILURE_STATUSES: readonly string[] = statusesHandled('rejected', 'resend', 'aborted', 'look-up');

export function normaliseStatus(s: string): string {
  return s.trim().toLowerCase();
}

export function isSuccessStatus(s: string): boolean {
  return statusHandling(s) === 'ingested';
}

export function isFailureStatus(s: string): boolean {
  return FAILURE_STATUSES.includes(normaliseStatus(s));
}

export function isFinalStatus(s: string): boolean {
  const handling = statusHandling(s);
  return handling !== 'wait' && handling !== 'unknown';
}

const METRIC_KEYS: ReadonlyArray<keyof BatchMetrics> = [
  'inputRecordCount',
  'outputRecordCount',
  'failedRecordCount',
  'inputFileCount',
  'inputByteSize',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The batch object inside a Catalog answer. Catalog answers `{ [batchId]: batch }` [OAS-CAT];
 * the import API answers the batch itself [BI-GUIDE]. Returns undefined when neither fits.
 */
export function unwrapBatchObject(body: unknown, batchId?: string): Record<string, unknown> | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.id === 'string' && typeof body.status === 'string') return body;
  if (batchId !== undefined && isRecord(body[batchId])) return { id: batchId, ...body[batchId] };
  const entries = Object.entries(body).filter(([, v]) => isRecord(v));
  if (entries.length === 1) {
    const [id, value] = entries[0] as [string, Record<string, unknown>];
    return { id, ...value };
  }
  return undefined;
}

/** Normalises one Platform batch object; `id` falls back to the key it was filed under. */
export function toBatch(obj: Record<string, unknown>, fallbackId?: string): Batch {
  const id = optionalString(obj.id) ?? fallbackId ?? '';
  const status = normaliseStatus(typeof obj.status === 'string' ? obj.status : '');
  const metricsIn = isRecord(obj.metrics) ? obj.metrics : {};
  const metrics: BatchMetrics = {};
  for (const key of METRIC_KEYS) {
    const n = optionalNumber(metricsIn[key]);
    if (n !== undefined) metrics[key] = n;
  }
  const errors: BatchError[] = Array.isArray(obj.errors)
    ? obj.errors.filter(isRecord).map((e) => ({ ...e }) as BatchError)
    : [];
  return {
    id,
    status,
    handling: statusHandling(status),
    final: isFinalStatus(status),
    succeeded: isSuccessStatus(status),
    datasetId: datasetIdOf(obj),
    externalId: optionalString(obj.externalId),
    metrics,
    errors,
    created: optionalNumber(obj.created),
    completed: optionalNumber(obj.completed),
    replaces: replacesOf(obj),
    raw: obj,
  };
}

function replacesOf(obj: Record<string, unknown>): string[] | undefined {
  const predecessors = isRecord(obj.replay) ? obj.replay.predecessors : undefined;
  return Array.isArray(predecessors) ? predecessors.filter((p): p is string => typeof p === 'string') : undefined;
}

function datasetIdOf(obj: Record<string, unknown>): string | undefined {
  if (Array.isArray(obj.relatedObjects)) {
    const ds = obj.relatedObjects.find((o) => isRecord(o) && o.type === 'dataSet' && typeof o.id === 'string');
    if (isRecord(ds)) return ds.id as string;
  }
  return optionalString(obj.datasetId);
}

/** A Catalog list answer (`{ [batchId]: batch, … }`) as batches, in the answer's order. */
export function toBatchList(body: unknown): Batch[] {
  if (!isRecord(body)) return [];
  return Object.entries(body)
    .filter((entry): entry is [string, Record<string, unknown>] => !entry[0].startsWith('_') && isRecord(entry[1]))
    .map(([key, value]) => toBatch(value, key));
}
