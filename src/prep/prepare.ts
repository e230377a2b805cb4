import { pipeline, Readable } from 'node:stream';
import type { RunPlan } from '../run/plan';
import { JsonLinesCounter } from './record-counter';

export interface PrepStats {
  /** Records read from the source file. */
  records: number;
  /** Bytes read from the source (before decompression). */
  bytesRead: number;
}

/** A source file turned into what Platform receives, streaming. */
export interface PreparedFile {
  body: Readable;
  /** Length of `body` when known in advance (pass-through); undefined when transformed. */
  size?: number;
  /** Final once `body` has ended. */
  stats(): PrepStats;
}

/**
 * The seam between a source stream and an upload (DESIGN.md §6 step 4: source → decompress →
 * parse/map → upload). Today: JSON Lines passed through unchanged and counted.
 */
export function prepareFile(source: Readable, file: { path: string; size: number }, _plan: RunPlan): PreparedFile {
  const counter = new JsonLinesCounter();
  const body = pipeline(source, counter, () => undefined);
  return { body, size: file.size, stats: () => ({ records: counter.records, bytesRead: counter.bytes }) };
}

/** The batch format Platform is told: prepared output is JSON Lines unless it is Parquet. */
export function batchFormat(plan: RunPlan): 'json' | 'parquet' {
  return plan.format === 'parquet' ? 'parquet' : 'json';
}
