import { randomBytes } from 'node:crypto';

/** Run ids sort by start time and say when the run began: `20261129T043512Z-3f9a1c`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Deterministic per batch, so a crashed run's batch can be found again in Catalog. */
export function batchExternalId(dataflow: string, runId: string, seq: number): string {
  return `dataflowd:${dataflow}:${runId}:${seq}`;
}
