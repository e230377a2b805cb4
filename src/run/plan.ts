import type { PrepPlan } from '../prep/prep-plan';

/**
 * Everything one run of a dataflow needs to know, in the units the run works in. Built from the
 * validated config by the composition root, so the run never reads raw config.
 */
export interface RunPlan {
  dataflow: string;
  /** Folder of the dataflow, relative to the connection's root ('' for the root). */
  folder: string;
  recursive: boolean;
  minFileAgeMs: number;
  /** `backfill: false`: files modified before this are not taken (startTime, else the first run). */
  notBefore?: Date;
  /** replace: a changed file's batch replays the old version's batch (replay-plan.ts); append: sent beside it. */
  changedFiles: 'replace' | 'append' | 'ignore';
  afterIngest: 'keep' | 'delete' | 'move';
  moveTo?: string;
  /** Platform dataset id (already resolved from a name when needed). */
  datasetId: string;
  format: 'json' | 'csv' | 'parquet';
  /** How each file is decompressed, parsed, mapped, renamed and checked on its way (src/prep). */
  prep: PrepPlan;
  errorDiagnostics: boolean;
  /** Rows that may fail before a batch fails whole; undefined: any bad row fails the batch. */
  maxErrorPercent?: number;
  maxFilesPerBatch: number;
  maxBatchBytes: number;
  /** Files uploading at once. */
  fileConcurrency: number;
}

/** Platform's own limits per batch (reference/aep-api.md §4). */
export const PLATFORM_MAX_FILES_PER_BATCH = 1500;
export const PLATFORM_MAX_BATCH_BYTES = 100 * 1024 ** 3;
