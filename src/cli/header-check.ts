import type { DataflowConfig, LoadedConfig } from '../config';
import { openConnection } from '../connector/connection';
import { compileGlobs } from '../connector/glob';
import { normalizeRemotePath, relativeToFolder } from '../connector/paths';
import type { RemoteFile } from '../connector/types';
import { errorMessage } from '../lib/errors';
import { silentLogger } from '../lib/logger';
import type { MappingReport } from '../prep/mapping';
import { buildPrepPlan } from '../prep/prep-plan';
import { sampleFile } from '../prep/sample';

/*
 * `validate --check` for CSV dataflows with a mapping: which columns a header leaves unmapped or
 * ambiguous needs a header, so the newest file the dataflow selects is opened and its header
 * mapped as a run would map it. Nothing is written anywhere, and reading stops at the first record.
 */

const HEADER_ONLY = { records: 0, rowErrors: 0, maxRows: 1 };

export interface HeaderCheck {
  dataflow: string;
  /** Lines to print: what the header maps to, and every column left out or ambiguous. */
  lines: string[];
}

export async function checkCsvHeaders(config: LoadedConfig, signal: AbortSignal): Promise<HeaderCheck[]> {
  const csvFlows = config.dataflows.filter((d) => d.enabled && d.format.type === 'csv' && d.mapping !== undefined);
  return Promise.all(csvFlows.map((df) => checkOne(config, df, signal)));
}

async function checkOne(config: LoadedConfig, df: DataflowConfig, signal: AbortSignal): Promise<HeaderCheck> {
  const { connector } = await openConnection(config.connections, df.source.connection, { logger: silentLogger, baseDir: config.dir });
  const head = `dataflow ${df.name}`;
  try {
    const newest = await newestSelected(df, connector.list(normalizeRemotePath(df.source.path), { recursive: df.source.recursive, signal }));
    if (!newest) return { dataflow: df.name, lines: [`${head}: no file to read a CSV header from yet`] };
    const mappingSchema = df.mapping?.schema === undefined ? undefined : config.schemas[df.mapping.schema];
    const prep = buildPrepPlan(df, { mappingSchema, datasetSchema: undefined });
    const sample = await sampleFile(await connector.open(newest.path, { signal }), newest, { prep }, HEADER_ONLY);
    if (sample.error) return { dataflow: df.name, lines: [`${head}: header of ${newest.path} could not be read: ${sample.error}`] };
    return { dataflow: df.name, lines: describeReport(`${head}: header of ${newest.path}`, sample.mapping) };
  } catch (err) {
    return { dataflow: df.name, lines: [`${head}: could not read a CSV header: ${errorMessage(err)}`] };
  } finally {
    await connector.close().catch(() => undefined);
  }
}

async function newestSelected(df: DataflowConfig, listing: AsyncIterable<RemoteFile>): Promise<RemoteFile | undefined> {
  const folder = normalizeRemotePath(df.source.path);
  const globs = compileGlobs({ include: df.source.include, exclude: df.source.exclude });
  let newest: RemoteFile | undefined;
  for await (const file of listing) {
    if (!globs.matches(relativeToFolder(folder, file.path))) continue;
    if (!newest || file.modifiedAt > newest.modifiedAt) newest = file;
  }
  return newest;
}

function describeReport(head: string, m: MappingReport | undefined): string[] {
  if (!m) return [`${head}: no header`];
  return [`${head}: ${m.columns.length} columns`, ...mappingLines(m).map((l) => `  ${l}`)];
}

/** What became of a header's columns, as `validate --check` and `run --dry-run` tell it. */
export function mappingLines(m: MappingReport): string[] {
  const out: string[] = [];
  if (m.auto.length > 0) out.push(`auto-mapped: ${m.auto.map((a) => `${a.column} → ${a.target}`).join(', ')}`);
  if (m.unmapped.length > 0) out.push(`UNMAPPED columns (not sent): ${m.unmapped.join(', ')}`);
  for (const a of m.ambiguous) out.push(`AMBIGUOUS column ${a.column}, not mapped: could be ${a.candidates.join(' or ')}`);
  for (const x of m.missing) out.push(`MISSING column ${x.column} (mapped to ${x.target}) is not in the header`);
  if (m.duplicates.length > 0) out.push(`DUPLICATE column names: ${m.duplicates.join(', ')}`);
  return out;
}
