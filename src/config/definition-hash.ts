import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DataflowConfig } from './load-dataflows';

/** JSON with keys sorted at every level and undefined members left out: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * A stable hash of what a dataflow ingests and how: which files (connection, path, include,
 * exclude, recursive), how they are read (format), where they go (target) and how they are
 * mapped. Timing and housekeeping (schedule, minFileAge, changedFiles, afterIngest, ingestion
 * limits, notifications) are left out: changing them does not make a `once` dataflow's work a
 * different job; nor do the format's limits (maxRecordSize, maxInflatedSize). The mapping schema counts by its path relative to the dataflow file, so that
 * moving the whole config folder keeps the hash.
 */
export function definitionHash(df: DataflowConfig): string {
  const { connection, path: folder, include, exclude, recursive } = df.source;
  const mapping =
    df.mapping === undefined
      ? undefined
      : {
          ...df.mapping,
          schema:
            df.mapping.schema === undefined
              ? undefined
              : path.relative(path.dirname(df.file), df.mapping.schema).split(path.sep).join('/'),
        };
  const { maxRecordSize: _record, maxInflatedSize: _inflated, ...format } = df.format;
  const what = {
    source: { connection, path: folder, include, exclude, recursive },
    format,
    target: df.target,
    mapping,
  };
  return createHash('sha256').update(canonicalJson(what)).digest('hex');
}
